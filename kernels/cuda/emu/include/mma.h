// CPU emulation (kernels/cuda/emu): tensor-core code is compiled only for __CUDA_ARCH__ >= 800,
// which the emulator never defines, so nothing of <mma.h> is needed.
#pragma once

;; Adam update (PyTorch's, weight decay as L2), 4 lanes at a time with WebAssembly SIMD.
;;
;;   g ← g + wd·p
;;   m ← β1·m + (1−β1)·g          v ← β2·v + (1−β2)·g²
;;   p ← p − ss·m / (√v + e)       ss = lr·√(1−β2^t)/(1−β1^t),  e = eps·√(1−β2^t)
;;
;; p, g, m, v: byte offsets of n float32 each in the imported memory. The plain version is
;; adamKernel in src/nn/optim.ts; test/nn-train.test.ts checks this one against it.
(module
  (memory (import "env" "memory") 1)
  (func (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $b1 f32) (param $b2 f32) (param $c1 f32) (param $c2 f32) (param $ss f32) (param $e f32) (param $wd f32)
    (local $i i32) (local $end4 i32) (local $o i32)
    (local $vb1 v128) (local $vb2 v128) (local $vc1 v128) (local $vc2 v128) (local $vss v128) (local $ve v128) (local $vwd v128)
    (local $gi v128) (local $mi v128) (local $vi v128) (local $pi v128)
    (local $sg f32) (local $sm f32) (local $sv f32) (local $sp f32)
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $vss (f32x4.splat (local.get $ss)))
    (local.set $ve (f32x4.splat (local.get $e)))
    (local.set $vwd (f32x4.splat (local.get $wd)))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (block $done4
      (loop $vec
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $pi (v128.load (i32.add (local.get $p) (local.get $o))))
        (local.set $gi (f32x4.add (v128.load (i32.add (local.get $g) (local.get $o))) (f32x4.mul (local.get $vwd) (local.get $pi))))
        (local.set $mi (f32x4.add (f32x4.mul (local.get $vb1) (v128.load (i32.add (local.get $m) (local.get $o)))) (f32x4.mul (local.get $vc1) (local.get $gi))))
        (local.set $vi (f32x4.add (f32x4.mul (local.get $vb2) (v128.load (i32.add (local.get $v) (local.get $o))))
                                  (f32x4.mul (local.get $vc2) (f32x4.mul (local.get $gi) (local.get $gi)))))
        (v128.store (i32.add (local.get $m) (local.get $o)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $o)) (local.get $vi))
        (v128.store (i32.add (local.get $p) (local.get $o))
          (f32x4.sub (local.get $pi)
            (f32x4.div (f32x4.mul (local.get $vss) (local.get $mi)) (f32x4.add (f32x4.sqrt (local.get $vi)) (local.get $ve)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vec)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $sp (f32.load (i32.add (local.get $p) (local.get $o))))
        (local.set $sg (f32.add (f32.load (i32.add (local.get $g) (local.get $o))) (f32.mul (local.get $wd) (local.get $sp))))
        (local.set $sm (f32.add (f32.mul (local.get $b1) (f32.load (i32.add (local.get $m) (local.get $o)))) (f32.mul (local.get $c1) (local.get $sg))))
        (local.set $sv (f32.add (f32.mul (local.get $b2) (f32.load (i32.add (local.get $v) (local.get $o)))) (f32.mul (local.get $c2) (f32.mul (local.get $sg) (local.get $sg)))))
        (f32.store (i32.add (local.get $m) (local.get $o)) (local.get $sm))
        (f32.store (i32.add (local.get $v) (local.get $o)) (local.get $sv))
        (f32.store (i32.add (local.get $p) (local.get $o))
          (f32.sub (local.get $sp) (f32.div (f32.mul (local.get $ss) (local.get $sm)) (f32.add (f32.sqrt (local.get $sv)) (local.get $e)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
  )
)

;; Greatest common divisor of two 64-bit integers (Euclid's algorithm on their
;; absolute values). scripts/build-wasm.mjs assembles this into gcd.wasm byte for byte;
;; edit both together.
(module
  (func $gcd (export "gcd") (param $a i64) (param $b i64) (result i64)
    (local $t i64)
    ;; a = |a|, b = |b|
    (if (i64.lt_s (local.get $a) (i64.const 0))
      (then (local.set $a (i64.sub (i64.const 0) (local.get $a)))))
    (if (i64.lt_s (local.get $b) (i64.const 0))
      (then (local.set $b (i64.sub (i64.const 0) (local.get $b)))))
    ;; while (b != 0) { t = a % b; a = b; b = t }
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get $b)))
        (local.set $t (i64.rem_u (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (br $next)))
    (local.get $a)))

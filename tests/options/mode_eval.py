# ast-options: -m eval -a
(a + b
   * c) if d else [e async for e in f]

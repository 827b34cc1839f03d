x = super().a
y = super(A, b).c
super().m(1)
super(A, b).m(k=2)

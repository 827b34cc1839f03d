x = (a
     .ñame)
y = (a
     .ñamé(1))
z = (é
  .b
  .c)
(a
 .b) = 1
(a
 .b) += 1
w = ("é", a
     .b)

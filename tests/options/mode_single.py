# ast-options: -m single -a
x = 1; y = 2;

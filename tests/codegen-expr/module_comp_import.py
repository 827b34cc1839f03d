import _opcode
import os.path
hasarg = [op for op in opmap.values() if _opcode.has_arg(op)]
other = [_opcode.has_arg(op) for op in ops]
plain = _opcode.has_arg(1)
paths = {os.path.join(p) for p in ps if os.getcwd()}
lams = [lambda: _opcode.f() for _ in r]
sup = [super().x for _ in r]

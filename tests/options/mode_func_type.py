# ast-options: -m func_type -a
(int, str, *Tuple[int, ...], **Dict[str, int]) -> List[int]

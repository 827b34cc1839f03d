// 4b1e0c7d9a2f63e85d0c1b7a49f2e6d3c8a51f0b7e2d94c6a3f18e5b0d7c2a69

void
emit__BINARY_OP_ADD_INT_r23(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 50                            pushq   %rax
    // 1: ff 15 00 00 00 00             callq   *(%rip)                 # 0x7 <_JIT_ENTRY+0x7>
    // 0000000000000003:  R_X86_64_GOTPCRELX   _PyCompactLong_Add-0x4
    // 7: 48 85 c0                      testq   %rax, %rax
    // a: 0f 84 00 00 00 00             je      0x10 <_JIT_ENTRY+0x10>
    // 000000000000000c:  R_X86_64_PLT32       _JIT_ERROR_TARGET-0x4
    // 10: 48 89 c2                      movq    %rax, %rdx
    // 13: 59                            popq    %rcx
    const unsigned char code_body[20] = {
        0x50, 0xff, 0x15, 0x00, 0x00, 0x00, 0x00, 0x48,
        0x85, 0xc0, 0x0f, 0x84, 0x00, 0x00, 0x00, 0x00,
        0x48, 0x89, 0xc2, 0x59,
    };
    patch_got_symbol(state, 0x0);
    memcpy(code, code_body, sizeof(code_body));
    patch_x86_64_32rx(code + 0x3, got_symbol_address(0x0, state) - 4);
    patch_32r(code + 0xc, state->instruction_starts[instruction->error_target] + -0x4);
}

void
emit__FATAL_ERROR_r00(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 50                            pushq   %rax
    // 1: 48 bf 00 00 00 00 00 00 00 00 movabsq $0x0, %rdi
    // 0000000000000003:  R_X86_64_64  .rodata.str1.1
    // b: ff 15 00 00 00 00             callq   *(%rip)                 # 0x11 <_JIT_ENTRY+0x11>
    // 000000000000000d:  R_X86_64_GOTPCRELX   Py_FatalError-0x4
    const unsigned char code_body[17] = {
        0x50, 0x48, 0xbf, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0xff, 0x15,
    };
    // 0: 'Fatal error uop executed.\x00'
    // 1a: 00 00 00 00 00 00
    const unsigned char data_body[32] = {
        0x46, 0x61, 0x74, 0x61, 0x6c, 0x20, 0x65, 0x72,
        0x72, 0x6f, 0x72, 0x20, 0x75, 0x6f, 0x70, 0x20,
        0x65, 0x78, 0x65, 0x63, 0x75, 0x74, 0x65, 0x64,
        0x2e,
    };
    memcpy(data, data_body, sizeof(data_body));
    patch_got_symbol(state, 0x1);
    memcpy(code, code_body, sizeof(code_body));
    patch_64(code + 0x3, (uintptr_t)data);
    patch_x86_64_32rx(code + 0xd, got_symbol_address(0x1, state) - 4);
}

void
emit__GUARD_TOS_INT_r11(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 48 89 f8                      movq    %rdi, %rax
    // 3: 48 83 e0 fe                   andq    $-0x2, %rax
    // 7: 48 b9 00 00 00 00 00 00 00 00 movabsq $0x0, %rcx
    // 0000000000000009:  R_X86_64_64  PyLong_Type
    // 11: 48 39 48 08                   cmpq    %rcx, 0x8(%rax)
    // 15: 0f 85 00 00 00 00             jne     0x1b <_JIT_ENTRY+0x1b>
    // 0000000000000017:  R_X86_64_PLT32       _JIT_JUMP_TARGET-0x4
    const unsigned char code_body[27] = {
        0x48, 0x89, 0xf8, 0x48, 0x83, 0xe0, 0xfe, 0x48,
        0xb9, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x48, 0x39, 0x48, 0x08, 0x0f, 0x85,
    };
    memcpy(code, code_body, sizeof(code_body));
    patch_64(code + 0x9, (uintptr_t)&PyLong_Type);
    patch_32r(code + 0x17, state->instruction_starts[instruction->jump_target] + -0x4);
}

void
emit__LOAD_CONST_INLINE_BORROW_r01(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 48 bf 00 00 00 00 00 00 00 00 movabsq $0x0, %rdi
    // 0000000000000002:  R_X86_64_64  _JIT_OPERAND0
    const unsigned char code_body[10] = {
        0x48, 0xbf,
    };
    memcpy(code, code_body, sizeof(code_body));
    patch_64(code + 0x2, instruction->operand0);
}

void
emit__LOAD_FAST_r01(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 48 b8 00 00 00 00 00 00 00 00 movabsq $0x0, %rax
    // 0000000000000002:  R_X86_64_64  _JIT_OPARG
    // a: 0f b7 c0                      movzwl  %ax, %eax
    // d: 49 8b 7c c5 50                movq    0x50(%r13,%rax,8), %rdi
    // 12: 40 f6 c7 01                   testb   $0x1, %dil
    // 16: 75 02                         jne     0x1a <_JIT_ENTRY+0x1a>
    // 18: ff 07                         incl    (%rdi)
    const unsigned char code_body[26] = {
        0x48, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x0f, 0xb7, 0xc0, 0x49, 0x8b, 0x7c,
        0xc5, 0x50, 0x40, 0xf6, 0xc7, 0x01, 0x75, 0x02,
        0xff, 0x07,
    };
    memcpy(code, code_body, sizeof(code_body));
    patch_64(code + 0x2, instruction->oparg);
}

void
emit__NOP_r00(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
}

void
emit__SET_IP_r00(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 48 b8 00 00 00 00 00 00 00 00 movabsq $0x0, %rax
    // 0000000000000002:  R_X86_64_64  _JIT_OPERAND0
    // a: 49 89 45 38                   movq    %rax, 0x38(%r13)
    const unsigned char code_body[14] = {
        0x48, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x89, 0x45, 0x38,
    };
    memcpy(code, code_body, sizeof(code_body));
    patch_64(code + 0x2, instruction->operand0);
}

void
emit__START_EXECUTOR_r00(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 4d 89 a7 30 01 00 00          movq    %r12, 0x130(%r15)
    const unsigned char code_body[7] = {
        0x4d, 0x89, 0xa7, 0x30, 0x01,
    };
    memcpy(code, code_body, sizeof(code_body));
}

static_assert(SYMBOL_MASK_WORDS >= 1, "SYMBOL_MASK_WORDS too small");

typedef struct {
    void (*emit)(
        unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
        const _PyUOpInstruction *instruction, jit_state *state);
    size_t code_size;
    size_t data_size;
    symbol_mask trampoline_mask;
    symbol_mask got_mask;
} StencilGroup;

static const StencilGroup stencil_groups[MAX_UOP_REGS_ID + 1] = {
    [_BINARY_OP_ADD_INT_r23] = {emit__BINARY_OP_ADD_INT_r23, 20, 0, {0}, {0x01}},
    [_FATAL_ERROR_r00] = {emit__FATAL_ERROR_r00, 17, 32, {0}, {0x02}},
    [_GUARD_TOS_INT_r11] = {emit__GUARD_TOS_INT_r11, 27, 0, {0}, {0}},
    [_LOAD_CONST_INLINE_BORROW_r01] = {emit__LOAD_CONST_INLINE_BORROW_r01, 10, 0, {0}, {0}},
    [_LOAD_FAST_r01] = {emit__LOAD_FAST_r01, 26, 0, {0}, {0}},
    [_NOP_r00] = {emit__NOP_r00, 0, 0, {0}, {0}},
    [_SET_IP_r00] = {emit__SET_IP_r00, 14, 0, {0}, {0}},
    [_START_EXECUTOR_r00] = {emit__START_EXECUTOR_r00, 7, 0, {0}, {0}},
};

static const void * const symbols_map[2] = {
    [0] = &_PyCompactLong_Add,
    [1] = &Py_FatalError,
};

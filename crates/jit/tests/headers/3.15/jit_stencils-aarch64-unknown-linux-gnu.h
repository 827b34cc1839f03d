// 9c2d7e41b0a85f36e1d4c7b2a9f03e68d5b1c4a7e2f90d3b6c8a15e4f7d20b93

void
emit__BINARY_OP_ADD_INT_r23(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: f81f0ffe      str     x30, [sp, #-0x10]!
    // 4: 94000000      bl      0x4 <_JIT_ENTRY+0x4>
    // 0000000000000004:  R_AARCH64_CALL26     _PyCompactLong_Add
    // 8: b4000000      cbz     x0, 0x8 <_JIT_ENTRY+0x8>
    // 0000000000000008:  R_AARCH64_CONDBR19   _JIT_ERROR_TARGET
    // c: aa0003e2      mov     x2, x0
    // 10: f84107fe      ldr     x30, [sp], #0x10
    const unsigned char code_body[20] = {
        0xfe, 0x0f, 0x1f, 0xf8, 0x00, 0x00, 0x00, 0x94,
        0x00, 0x00, 0x00, 0xb4, 0xe2, 0x03, 0x00, 0xaa,
        0xfe, 0x07, 0x41, 0xf8,
    };
    memcpy(code, code_body, sizeof(code_body));
    patch_aarch64_trampoline(code + 0x4, 0x0, state);
    patch_aarch64_19r(code + 0x8, state->instruction_starts[instruction->error_target]);
}

void
emit__FATAL_ERROR_r00(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 90000000      adrp    x0, 0x0 <_JIT_ENTRY>
    // 0000000000000000:  R_AARCH64_ADR_PREL_PG_HI21   .rodata.str1.1
    // 4: 91000000      add     x0, x0, #0x0
    // 0000000000000004:  R_AARCH64_ADD_ABS_LO12_NC    .rodata.str1.1
    // 8: 94000000      bl      0x8 <_JIT_ENTRY+0x8>
    // 0000000000000008:  R_AARCH64_CALL26     Py_FatalError
    const unsigned char code_body[12] = {
        0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x91,
        0x00, 0x00, 0x00, 0x94,
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
    memcpy(code, code_body, sizeof(code_body));
    patch_aarch64_21r(code + 0x0, (uintptr_t)data);
    patch_aarch64_12(code + 0x4, (uintptr_t)data);
    patch_aarch64_trampoline(code + 0x8, 0x1, state);
}

void
emit__GUARD_TOS_INT_r11(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 90000008      adrp    x8, 0x0 <_JIT_ENTRY>
    // 0000000000000000:  R_AARCH64_ADR_GOT_PAGE       PyLong_Type
    // 4: f9400108      ldr     x8, [x8]
    // 0000000000000004:  R_AARCH64_LD64_GOT_LO12_NC   PyLong_Type
    // 8: 927ff809      and     x9, x0, #0xfffffffffffffffe
    // c: f9400529      ldr     x9, [x9, #0x8]
    // 10: eb08013f      cmp     x9, x8
    // 14: 54000001      b.ne    0x14 <_JIT_ENTRY+0x14>
    // 0000000000000014:  R_AARCH64_CONDBR19   _JIT_JUMP_TARGET
    const unsigned char code_body[24] = {
        0x08, 0x00, 0x00, 0x90, 0x08, 0x01, 0x40, 0xf9,
        0x09, 0xf8, 0x7f, 0x92, 0x29, 0x05, 0x40, 0xf9,
        0x3f, 0x01, 0x08, 0xeb, 0x01, 0x00, 0x00, 0x54,
    };
    patch_got_symbol(state, 0x2);
    memcpy(code, code_body, sizeof(code_body));
    
    patch_aarch64_33rx(code + 0x0, code + 0x4, got_symbol_address(0x2, state));
    patch_aarch64_19r(code + 0x14, state->instruction_starts[instruction->jump_target]);
}

void
emit__LOAD_CONST_INLINE_BORROW_r01(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 90000000      adrp    x0, 0x0 <_JIT_ENTRY>
    // 0000000000000000:  R_AARCH64_ADR_GOT_PAGE       _JIT_OPERAND0
    // 4: f9400000      ldr     x0, [x0]
    // 0000000000000004:  R_AARCH64_LD64_GOT_LO12_NC   _JIT_OPERAND0
    const unsigned char code_body[8] = {
        0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x40, 0xf9,
    };
    // 0: OPERAND0
    patch_64(data + 0x0, instruction->operand0);
    memcpy(code, code_body, sizeof(code_body));
    
    patch_aarch64_33rx(code + 0x0, code + 0x4, (uintptr_t)data);
}

void
emit__LOAD_FAST_r01(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: d2800008      mov     x8, #0x0
    // 4: f8687aa0      ldr     x0, [x21, x8, lsl #3]
    const unsigned char code_body[8] = {
        0x08, 0x00, 0x80, 0xd2, 0xa0, 0x7a, 0x68, 0xf8,
    };
    memcpy(code, code_body, sizeof(code_body));
    patch_aarch64_16a(code + 0x0, instruction->oparg);
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
    [_BINARY_OP_ADD_INT_r23] = {emit__BINARY_OP_ADD_INT_r23, 20, 0, {0x01}, {0}},
    [_FATAL_ERROR_r00] = {emit__FATAL_ERROR_r00, 12, 32, {0x02}, {0}},
    [_GUARD_TOS_INT_r11] = {emit__GUARD_TOS_INT_r11, 24, 0, {0}, {0x04}},
    [_LOAD_CONST_INLINE_BORROW_r01] = {emit__LOAD_CONST_INLINE_BORROW_r01, 8, 8, {0}, {0}},
    [_LOAD_FAST_r01] = {emit__LOAD_FAST_r01, 8, 0, {0}, {0}},
};

static const void * const symbols_map[3] = {
    [0] = &_PyCompactLong_Add,
    [1] = &Py_FatalError,
    [2] = &PyLong_Type,
};

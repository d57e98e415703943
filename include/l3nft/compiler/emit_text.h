/* The text emitter: the IR as an nft script for people and `nft -f`. */
#ifndef L3NFT_COMPILER_EMIT_TEXT_H
#define L3NFT_COMPILER_EMIT_TEXT_H

#include <stddef.h>
#include <stdio.h>
#include "l3nft/compiler/ir.h"

/* Prints @ir as an nft script that `nft -f` loads. 0, or -1 on write error. */
int l3_emit_text(const struct l3_ir *ir, FILE *out);

/* Prints "define l3_NAME = MARK" for each namespace and "define l3_mask",
 * for nft files of the sysadmin's that `include` them. 0, or -1 on write
 * error. */
int l3_emit_defines(const struct l3_ir *ir, FILE *out);

/* Prints one rule as a chain of the script holds it, without the
 * indentation, comment or newline: what `diff -v` shows of a rule. */
void l3_emit_rule(const struct l3_ir *ir, const struct l3_ir_rule *r, FILE *out);

/* Formats one value the way the text form writes it. */
void l3_emit_value(const struct l3_ir *ir, const struct l3_ir_value *v,
		   char *buf, size_t len);

#endif

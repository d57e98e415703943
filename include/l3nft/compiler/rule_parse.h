/*
 * A libnftnl rule read back into an IR rule: the inverse of the netlink
 * emitter (emit_nl.c) for exactly the expressions it writes, so that
 * `diff -v` can print a rule of the live table that the policy no longer
 * makes with the text emitter, as `l3nft compile` would have printed it.
 *
 * Some IR forms give the same expressions (udp dport and th dport, an
 * explicit "meta nfproto" and the one the emitter adds before an address):
 * the reading picks one. A caller proves a reading right by emitting it
 * again and comparing (see cli/change.c); anything else is no reading.
 */
#ifndef L3NFT_COMPILER_RULE_PARSE_H
#define L3NFT_COMPILER_RULE_PARSE_H

#include <stdbool.h>
#include "l3nft/compiler/emit_nl.h"
#include "l3nft/compiler/ir.h"

/*
 * Reads @r into @out. Strings in @out (set, chain, counter names, the log
 * prefix) point into @r, which must outlive it. @f is set to the features
 * that emit the same form again (the xt NFQUEUE target or nft's queue).
 * 0, or -1 when @r holds anything the emitter does not write (a rule
 * written by hand, an anonymous set whose elements a rule does not carry).
 */
int l3_rule_parse(struct nftnl_rule *r, struct l3_ir_rule *out, struct l3_nl_features *f);

#endif

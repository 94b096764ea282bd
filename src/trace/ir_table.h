/* ir_table.h - the trace IR, defined once.  _(NAME, kind, "text")
 * kind: K constant, IN input (read in the guard phase, state as the packet
 * arrived), ALU pure arithmetic, G guard, E effect (applied at commit, in
 * program order).  Operands: a, b are earlier instructions; k, sz as noted.
 * No include guard: included with different definitions of _(). */
_(KINT,   K,   "kint")    /* k: the constant */
_(LEN,    IN,  "len")     /* packet length as it arrived */
_(PLOAD,  IN,  "pload")   /* sz bytes at packet offset k (offsets from data as it arrived) */
_(CTXF,   IN,  "ctx")     /* xdp_md field at byte k (ingress_ifindex, rx_queue_index) */
_(ALU,    ALU, "alu")     /* k: enum jn_op of the eBPF ALU form (X variant or unary) */
_(LOOKUP, IN,  "lookup")  /* map k, key = chunks [a, a+b): value pointer or 0 */
_(MLOAD,  IN,  "mload")   /* sz bytes at pointer a + k (map value); b: map index */
_(PROG,   IN,  "prog")    /* prog_array map k at index a: the target's program index, or -1 */
_(CALL,   IN,  "call")    /* helper call k (index into calls) without lasting effects */
_(OUT,    IN,  "out")     /* sz bytes at stack offset k as the guard-phase call a left them */
_(GUARD,  G,   "guard")   /* a cond(k) b must hold; sz 4: 32-bit compare */
_(PSTORE, E,   "pstore")  /* sz bytes of a at packet offset k */
_(MSTORE, E,   "mstore")  /* sz bytes of b at pointer a + k */
_(ECALL,  E,   "ecall")   /* helper call k with effects; its result is post-commit */
_(RET,    E,   "ret")     /* return a */

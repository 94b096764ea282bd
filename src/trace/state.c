/* state.c - which values depend on the maps alone.
 *
 * What it does: marks (JN_TF_STATE) every instruction whose value depends
 * only on constants and on map contents read with constant keys (a config
 * entry, a statistics slot, global data, a prog_array slot), not on the
 * packet, its length, the context or a helper's result.  A guard so marked
 * that fails will fail for every packet until the maps change: the NIC
 * drops such a trace at once (exact invalidation for what the guards read
 * through constant keys; traces whose keys come from the packet stay and
 * simply miss while their guards do not hold).
 * Assumes: operands precede their users.
 */
#include "trace_internal.h"

static bool state(const struct jn_trace *t, int32_t r)
{
	return r < 0 || (t->ir[r].flags & JN_TF_STATE);
}

void jn_tstate(struct jn_trace *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		struct jn_tins *in = &t->ir[i];
		bool s;
		switch (in->op) {
		case JN_TIR_KINT:
			s = true;
			break;
		case JN_TIR_LOOKUP:
			s = true;
			for (int32_t c = in->a; c < in->a + in->b; c++)
				s = s && state(t, t->chunks[c]);
			break;
		case JN_TIR_MLOAD: case JN_TIR_PROG:
			s = state(t, in->a);
			break;
		case JN_TIR_ALU: case JN_TIR_GUARD:
			s = state(t, in->a) && state(t, in->b);
			break;
		default:
			s = false;
		}
		if (s && !(in->flags & JN_TF_POST))
			in->flags |= JN_TF_STATE;
		else
			in->flags &= (uint8_t)~JN_TF_STATE;
	}
}

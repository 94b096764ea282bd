/* text_only - no program section: global functions of .text are the
 * programs (the bpf_conformance --elf case), static ones are subprograms. */
static __attribute__((noinline)) int helper(int x) { return x + 40; }

int main(void)
{
	return helper(2);
}

int second(void)
{
	return helper(3);
}

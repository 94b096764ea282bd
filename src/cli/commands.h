/* commands.h - every subcommand, one line each (no include guard: X-macro). */
CMD(asm)
CMD(run)
CMD(check)
CMD(gen)
CMD(hxdp)
CMD(disasm)
CMD(info)

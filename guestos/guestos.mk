# guestos: the teaching guest OS (guestos/README.md), included by the top
# Makefile. Every .c and .S under guestos/ and guestos/user/ is part of it.
GUESTOS_ELF  := $(GUEST_DIR)/guestos.elf
GUESTOS_OBJ  := $(GUEST_DIR)/obj/guestos
GUESTOS_SRCS := $(wildcard guestos/*.c guestos/*.S guestos/user/*.c)
GUESTOS_OBJS := $(patsubst guestos/%,$(GUESTOS_OBJ)/%.o,$(GUESTOS_SRCS))
GUESTOS_FLAGS = $(GUEST_CFLAGS) -Iguestos -MMD -MP

GUESTS     += $(GUESTOS_ELF)
DEMO_IMAGE := $(GUESTOS_ELF)

$(GUESTOS_ELF): $(GUESTOS_OBJS) guestos/kernel.ld
	ld $(GUEST_LDFLAGS) -T guestos/kernel.ld -o $@ $(GUESTOS_OBJS) $(GUEST_LIBGCC)

$(filter %.c.o,$(GUESTOS_OBJS)): $(GUESTOS_OBJ)/%.c.o: guestos/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUESTOS_FLAGS) -c $< -o $@

$(filter %.S.o,$(GUESTOS_OBJS)): $(GUESTOS_OBJ)/%.S.o: guestos/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUESTOS_FLAGS) -c $< -o $@

-include $(GUESTOS_OBJS:.o=.d)

# guestos-shares.elf: the same sources with GUESTOS_SHARES: the `spin`
# program and a table of each process's share of the timer ticks at the
# end (scenarios/uber-ola.scn). The default image has neither.
GUESTOS_SHARES_ELF := $(GUEST_DIR)/guestos-shares.elf
GUESTOS_SHARES_OBJ := $(GUEST_DIR)/obj/guestos-shares
GUESTOS_SHARES_OBJS := $(patsubst guestos/%,$(GUESTOS_SHARES_OBJ)/%.o,$(GUESTOS_SRCS))
GUESTS += $(GUESTOS_SHARES_ELF)

$(GUESTOS_SHARES_ELF): $(GUESTOS_SHARES_OBJS) guestos/kernel.ld
	ld $(GUEST_LDFLAGS) -T guestos/kernel.ld -o $@ $(GUESTOS_SHARES_OBJS) $(GUEST_LIBGCC)

$(filter %.c.o,$(GUESTOS_SHARES_OBJS)): $(GUESTOS_SHARES_OBJ)/%.c.o: guestos/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUESTOS_FLAGS) -DGUESTOS_SHARES -c $< -o $@

$(filter %.S.o,$(GUESTOS_SHARES_OBJS)): $(GUESTOS_SHARES_OBJ)/%.S.o: guestos/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUESTOS_FLAGS) -DGUESTOS_SHARES -c $< -o $@

-include $(GUESTOS_SHARES_OBJS:.o=.d)

# The transcripts on QEMU: stable across runs and CPU speeds, as expected.
.PHONY: test-guestos
test-guestos: $(GUESTOS_ELF) $(TRAPSIM)
	bash guestos/check.sh $(GUESTOS_ELF)
TEST_TARGETS += test-guestos

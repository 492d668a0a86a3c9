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

# Variant images: the same sources compiled with one more -D, so that
# guestos.elf's loaded bytes (and every expected log that shows its
# addresses and instruction counts) stay as they are.
# GUESTOS_VARIANT NAME DEFINE: $(GUEST_DIR)/guestos-NAME.elf with -DDEFINE.
define GUESTOS_VARIANT
$(2)_ELF  := $(GUEST_DIR)/guestos-$(1).elf
$(2)_OBJS := $$(patsubst guestos/%,$(GUEST_DIR)/obj/guestos-$(1)/%.o,$$(GUESTOS_SRCS))
GUESTS += $$($(2)_ELF)

$$($(2)_ELF): $$($(2)_OBJS) guestos/kernel.ld
	ld $$(GUEST_LDFLAGS) -T guestos/kernel.ld -o $$@ $$($(2)_OBJS) $$(GUEST_LIBGCC)

$$(filter %.c.o,$$($(2)_OBJS)): $(GUEST_DIR)/obj/guestos-$(1)/%.c.o: guestos/%.c
	@mkdir -p $$(@D)
	$$(GUEST_CC) $$(GUESTOS_FLAGS) -D$(2) -c $$< -o $$@

$$(filter %.S.o,$$($(2)_OBJS)): $(GUEST_DIR)/obj/guestos-$(1)/%.S.o: guestos/%.S
	@mkdir -p $$(@D)
	$$(GUEST_CC) $$(GUESTOS_FLAGS) -D$(2) -c $$< -o $$@

-include $$($(2)_OBJS:.o=.d)
endef

# guestos-shares.elf: GUESTOS_SHARES, the `spin` program and a table of
# each process's share of the timer ticks at the end
# (scenarios/uber-ola.scn). The default image has neither.
$(eval $(call GUESTOS_VARIANT,shares,GUESTOS_SHARES))
# guestos-kprime.elf: GUESTOS_KPRIME, the option kprime=N: the lecture's
# isPrime run by the kernel in kernel mode (guestos/kprime.c; the
# dbt-isprime scenario, the dbt bench rows).
$(eval $(call GUESTOS_VARIANT,kprime,GUESTOS_KPRIME))

# The transcripts on QEMU: stable across runs and CPU speeds, as expected.
.PHONY: test-guestos
test-guestos: $(TRAPSIM) $(GUESTOS_ELF) $(GUESTOS_KPRIME_ELF)
	bash guestos/check.sh $(GUESTOS_ELF)
TEST_TARGETS += test-guestos

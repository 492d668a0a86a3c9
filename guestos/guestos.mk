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

# The transcripts on QEMU: stable across runs and CPU speeds, as expected.
.PHONY: test-guestos
test-guestos: $(GUESTOS_ELF)
	bash guestos/check.sh $(GUESTOS_ELF)
TEST_TARGETS += test-guestos

/* The isolation guests (tests/robust/isolation.sh): plant.S fills 64 KiB
 * at 2 MiB with a marker and then computes for a long time; scan.S, in
 * another VM, looks for the marker in its whole address space; plantscan.S
 * plants and scans in one VM, to show that the scan finds what is there.
 * The scanner compares the complement of what it reads with the marker's
 * complement, so its own code never holds the marker. */
#define MARKER     0x7a3c91e5
#define NOT_MARKER 0x85c36e1a
#define PLANT_AT   0x200000
#define PLANT_DWORDS 16384

/* Fills PLANT_DWORDS dwords at PLANT_AT with the marker. */
#define PLANT                           \
    cld;                                \
    movl $PLANT_AT, %edi;               \
    movl $MARKER, %eax;                 \
    movl $PLANT_DWORDS, %ecx;           \
    rep stosl

/* Counts the marker into %edi: at every byte offset of RAM (the Multiboot
 * information's mem_upper, EBX on entry), then in one dword of each 4 KiB
 * page above RAM, up to the top MiB (the VMM's under --vmm: not the
 * guest's). Uses EAX, ECX, ESI. */
#define SCAN                            \
    movl 8(%ebx), %ecx;                 \
    shll $10, %ecx;                     \
    addl $0x100000 - 3, %ecx;           \
    xorl %esi, %esi;                    \
    xorl %edi, %edi;                    \
1:  movl (%esi), %eax;                  \
    notl %eax;                          \
    cmpl $NOT_MARKER, %eax;             \
    jne 2f;                             \
    incl %edi;                          \
2:  incl %esi;                          \
    cmpl %ecx, %esi;                    \
    jb 1b;                              \
    addl $0xfff, %esi;                  \
    andl $0xfffff000, %esi;             \
3:  cmpl $0xfff00000, %esi;             \
    jae 5f;                             \
    movl (%esi), %eax;                  \
    notl %eax;                          \
    cmpl $NOT_MARKER, %eax;             \
    jne 4f;                             \
    incl %edi;                          \
4:  addl $0x1000, %esi;                 \
    jmp 3b;                             \
5:

// The Multiboot command line: words "key=value" separated by spaces.
// Words without '=' are skipped (QEMU puts the image's path first).
#include "types.h"
#include "multiboot.h"
#include "defs.h"
#include "pvops.h"

#define MAXLINE 256
#define MAXOPTS 16

static char line[MAXLINE];     // a copy, each word NUL-terminated
static char *keys[MAXOPTS];    // keys[i] "=" vals[i]
static char *vals[MAXOPTS];
static int nopts;

void cmdline_init(uint magic, struct mbinfo *mbi) {
  if (magic != MB_BOOT_MAGIC || !(mbi->flags & MB_INFO_CMDLINE))
    return;
  const char *s = (const char *)mbi->cmdline;
  uint n = strlen(s);
  if (n > MAXLINE - 1)
    n = MAXLINE - 1;
  memmove(line, s, n);

  for (char *p = line; *p && nopts < MAXOPTS; ) {
    while (*p == ' ')
      *p++ = '\0';
    char *word = p, *eq = 0;
    for (; *p && *p != ' '; p++)
      if (*p == '=' && !eq)
        eq = p;
    if (*p)
      *p++ = '\0';
    if (eq) {
      *eq = '\0';
      keys[nopts] = word;
      vals[nopts++] = eq + 1;
    }
  }
}

// The value of the last key=value, or 0.
const char *opt_str(const char *key) {
  for (int i = nopts - 1; i >= 0; i--)
    if (strcmp(keys[i], key) == 0)
      return vals[i];
  return 0;
}

// The value of key=NUMBER (decimal), or dflt if absent or not a number.
int opt_num(const char *key, int dflt) {
  const char *v = opt_str(key);
  if (v == 0 || *v == '\0')
    return dflt;
  int n = 0;
  for (; *v; v++) {
    if (*v < '0' || *v > '9' || n > 100000000)
      return dflt;
    n = n * 10 + (*v - '0');
  }
  return n;
}

// Say which options guestos does not know (a typo would go unseen).
void cmdline_check(void) {
  for (int i = 0; i < nopts; i++) {
    int known = strcmp(keys[i], "procs") == 0 || strcmp(keys[i], "probe") == 0 ||
                strcmp(keys[i], "lidt2") == 0;
    known |= pvops_option(keys[i]);
#ifdef GUESTOS_KPRIME
    known = known || strcmp(keys[i], "kprime") == 0;
#endif
    for (const struct program *p = programs; p->name; p++)
      if (p->opt && strcmp(keys[i], p->opt) == 0)
        known = 1;
    if (!known)
      cprintf("guestos: unknown option %s=%s (ignored)\n", keys[i], vals[i]);
  }
}

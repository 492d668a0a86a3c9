/* bench/runstat.c: runs one command and reports what the bench needs of it:
 *   runstat [-t SECONDS] -o FILE -- COMMAND [ARGS...]
 * The command inherits stdin, stdout and stderr. FILE gets one line
 *   wall_ns=N cpu_ns=N maxrss_kb=N status=N
 * wall_ns from CLOCK_MONOTONIC around fork and wait, cpu_ns the user + system
 * time of the command (and its waited-for children), maxrss_kb the peak
 * resident set of the command (and any children it waited for) from wait4's
 * rusage, status its exit status, or 128+signal. With -t the command is sent
 * SIGKILL after SECONDS and status is 124, as with timeout(1). runstat's own
 * exit status is 0 when it could run the command, 2 otherwise. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static pid_t child;

static void on_alarm(int sig) {
  (void)sig;
  timed_out = 1;
  if (child > 0)
    kill(child, SIGKILL);
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  const char *out = NULL;
  unsigned limit = 0;
  int i = 1;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc)
      out = argv[++i];
    else if (!strcmp(argv[i], "-t") && i + 1 < argc)
      limit = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--")) {
      i++;
      break;
    } else
      break;
  }
  if (!out || i >= argc) {
    fprintf(stderr, "usage: runstat [-t SECONDS] -o FILE -- COMMAND [ARGS...]\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);

  long long t0 = now_ns();
  child = fork();
  if (child < 0) {
    perror("runstat: fork");
    return 2;
  }
  if (child == 0) {
    execvp(argv[i], argv + i);
    fprintf(stderr, "runstat: %s: %s\n", argv[i], strerror(errno));
    _exit(127);
  }
  if (limit)
    alarm(limit);
  int st = 0;
  struct rusage ru;
  pid_t r;
  while ((r = wait4(child, &st, 0, &ru)) < 0 && errno == EINTR)
    ;
  long long t1 = now_ns();
  alarm(0);
  if (r < 0) {
    perror("runstat: wait4");
    return 2;
  }
  int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (timed_out)
    status = 124;
  FILE *f = fopen(out, "w");
  if (!f) {
    perror(out);
    return 2;
  }
  long long cpu = ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                  ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
  fprintf(f, "wall_ns=%lld cpu_ns=%lld maxrss_kb=%ld status=%d\n", t1 - t0, cpu, ru.ru_maxrss, status);
  return fclose(f) == 0 ? 0 : 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * PID 1 of the oracle VM (issue #10, docs/oracle.md "Runner").
 *
 * The initramfs holds this program as /init, the programs to run in /bin and
 * a job list /jobs: one job per line, "argv0 arg1 arg2 ..." separated by
 * single spaces (no quoting). For each job, in order, it forks, runs the
 * program with stdout+stderr on the second UART (/dev/ttyS1, raw mode, so the
 * kernel's own console on ttyS0 never interleaves with it), and prints
 *
 *   @@ORACLE-BEGIN <n>
 *   ...program output...
 *   @@ORACLE-END <n> <status>
 *
 * where status is "exit=<code>", "signal=<nr>" or "exec=<errno>". A job
 * that runs longer than ORACLE_JOB_TIMEOUT seconds is killed (the host also
 * has a hard timeout on the whole VM). Then the machine powers off (ACPI);
 * QEMU runs with -no-reboot, so a failed power-off still ends the VM.
 *
 * Static, no libc beyond what glibc's static build gives; nothing to clean
 * up since the VM dies afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define ORACLE_JOB_TIMEOUT 600
#define MAX_ARGS 256

static int out_fd = -1;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    if (write(out_fd, line, (size_t)n) < 0)
        return;
}

static void mnt(const char *src, const char *dir, const char *type)
{
    mkdir(dir, 0755);
    if (mount(src, dir, type, 0, NULL) && errno != EBUSY)
        fprintf(stderr, "init: mount %s on %s: %s\n", type, dir, strerror(errno));
}

static int open_output(void)
{
    struct termios t;
    int fd = open("/dev/ttyS1", O_RDWR | O_NOCTTY);

    if (fd < 0) {
        fprintf(stderr, "init: /dev/ttyS1: %s; using the console\n", strerror(errno));
        return dup(1);
    }
    /* Raw: no \n -> \r\n, no echo, bytes exactly as the program wrote them. */
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        cfsetspeed(&t, B115200);
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

static void run_job(int n, char *line)
{
    char *argv[MAX_ARGS + 1];
    int argc = 0, status;
    time_t start;
    pid_t pid, w;

    for (char *tok = strtok(line, " "); tok && argc < MAX_ARGS; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    if (!argc)
        return;
    say("@@ORACLE-BEGIN %d\n", n);
    pid = fork();
    if (pid == 0) {
        char path[256];

        dup2(out_fd, 1);
        dup2(out_fd, 2);
        snprintf(path, sizeof(path), "%s%s", argv[0][0] == '/' ? "" : "/bin/", argv[0]);
        setenv("PATH", "/bin", 1);
        execv(path, argv);
        printf("@@exec-failed %s: %s\n", path, strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    if (pid < 0) {
        say("@@ORACLE-END %d fork=%d\n", n, errno);
        return;
    }
    start = time(NULL);
    for (;;) {
        w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0) {
            say("@@ORACLE-END %d wait=%d\n", n, errno);
            return;
        }
        if (time(NULL) - start > ORACLE_JOB_TIMEOUT) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            say("@@ORACLE-END %d timeout\n", n);
            return;
        }
        usleep(20000);
    }
    /* Reap whatever the job left behind (init inherits orphans). */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    if (WIFEXITED(status))
        say("@@ORACLE-END %d exit=%d\n", n, WEXITSTATUS(status));
    else
        say("@@ORACLE-END %d signal=%d\n", n, WTERMSIG(status));
}

int main(void)
{
    static char jobs[65536];
    ssize_t len = 0, r;
    int fd, n = 0;

    mnt("devtmpfs", "/dev", "devtmpfs");
    mnt("proc", "/proc", "proc");
    mnt("sysfs", "/sys", "sysfs");
    mnt("debugfs", "/sys/kernel/debug", "debugfs");
    mnt("tmpfs", "/tmp", "tmpfs");
    out_fd = open_output();
    fd = open("/jobs", O_RDONLY);
    while (fd >= 0 && (r = read(fd, jobs + len, sizeof(jobs) - 1 - (size_t)len)) > 0)
        len += r;
    jobs[len] = 0;
    say("@@ORACLE-BOOTED\n");
    for (char *save = NULL, *l = strtok_r(jobs, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        run_job(n++, l);
    say("@@ORACLE-DONE %d\n", n);
    fsync(out_fd);
    tcdrain(out_fd);
    sync();
    reboot(RB_POWER_OFF);
    reboot(RB_AUTOBOOT);
    for (;;)
        pause();
}

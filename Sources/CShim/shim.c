#define _GNU_SOURCE
#include "cshim.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

int cshim_epoll_create(void) {
	return epoll_create1(EPOLL_CLOEXEC);
}

int cshim_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = data;
	return epoll_ctl(epfd, op, fd, &ev);
}

int cshim_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms) {
	return epoll_wait(epfd, events, maxevents, timeout_ms);
}

static void fill_set(sigset_t *set, const int *signals, int count) {
	sigemptyset(set);
	for(int i = 0; i < count; i++) {
		sigaddset(set, signals[i]);
	}
}

int cshim_block_signals(const int *signals, int count) {
	sigset_t set;
	fill_set(&set, signals, count);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

int cshim_unblock_all_signals(void) {
	sigset_t set;
	sigemptyset(&set);
	return sigprocmask(SIG_SETMASK, &set, NULL);
}

int cshim_signalfd_create(const int *signals, int count) {
	sigset_t set;
	fill_set(&set, signals, count);
	if(sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		return -1;
	}
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int cshim_signalfd_read(int fd) {
	struct signalfd_siginfo info;
	ssize_t n = read(fd, &info, sizeof(info));
	if(n != (ssize_t)sizeof(info)) {
		return -1;
	}
	return (int)info.ssi_signo;
}

int cshim_eventfd_create(void) {
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int cshim_eventfd_signal(int fd) {
	uint64_t one = 1;
	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
}

int cshim_eventfd_drain(int fd) {
	uint64_t value;
	return read(fd, &value, sizeof(value)) == sizeof(value) ? 0 : -1;
}

int cshim_tun_setiff(int fd, char *name, int tun) {
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = tun ? IFF_TUN : (IFF_TAP | IFF_NO_PI);
	if(name && name[0]) {
		strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	}
	if(ioctl(fd, TUNSETIFF, &ifr) < 0) {
		return -1;
	}
	if(name) {
		strncpy(name, ifr.ifr_name, IFNAMSIZ - 1);
		name[IFNAMSIZ - 1] = 0;
	}
	return 0;
}

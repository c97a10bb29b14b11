// Linux interfaces that Swift's Glibc module does not import: epoll, signalfd,
// eventfd, getopt_long and the TUN/TAP ioctl. Each wrapper is a thin pass-through; errors come back
// as -1 with errno set, exactly as from the underlying call.
#ifndef CSHIM_H
#define CSHIM_H

#include <stdint.h>
#include <getopt.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

// epoll(7)
int cshim_epoll_create(void);
int cshim_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int cshim_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms);

static const int CSHIM_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CSHIM_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
static const int CSHIM_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
static const uint32_t CSHIM_EPOLLIN = EPOLLIN;
static const uint32_t CSHIM_EPOLLOUT = EPOLLOUT;
static const uint32_t CSHIM_EPOLLERR = EPOLLERR;
static const uint32_t CSHIM_EPOLLHUP = EPOLLHUP;
static const uint32_t CSHIM_EPOLLRDHUP = EPOLLRDHUP;

// signalfd(2): blocks the given signals in the calling thread and returns a descriptor
// that becomes readable when one of them is pending. Reads return the signal number.
int cshim_signalfd_create(const int *signals, int count);
int cshim_signalfd_read(int fd);
int cshim_block_signals(const int *signals, int count);
int cshim_unblock_all_signals(void);

// eventfd(2), non-blocking, for waking the loop from another thread.
int cshim_eventfd_create(void);
int cshim_eventfd_signal(int fd);
int cshim_eventfd_drain(int fd);

// TUN/TAP: TUNSETIFF on an open /dev/net/tun descriptor. `name` is in/out
// (IFNAMSIZ bytes); `tun` selects IFF_TUN (with packet information) or IFF_TAP|IFF_NO_PI.
int cshim_tun_setiff(int fd, char *name, int tun);
static const int CSHIM_IFNAMSIZ = 16;

#endif

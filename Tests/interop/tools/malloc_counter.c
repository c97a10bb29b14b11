// LD_PRELOAD library that counts malloc, calloc and realloc calls in a process and writes
// "MALLOCS N" to stderr on SIGWINCH (which tincd does not use). test_allocations.sh uses it to
// check that the packet path allocates nothing per packet.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long count = 0;
static void *(*real_malloc)(size_t) = 0;
static void *(*real_calloc)(size_t, size_t) = 0;
static void *(*real_realloc)(void *, size_t) = 0;
static void (*real_free)(void *) = 0;

// dlsym itself may call calloc before real_calloc is known, so those first bytes come from here.
static char bootstrap[65536];
static size_t bootstrap_used = 0;

void *malloc(size_t size) {
	if(!real_malloc) {
		real_malloc = dlsym(RTLD_NEXT, "malloc");
	}
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	return real_malloc(size);
}

void *calloc(size_t items, size_t size) {
	if(!real_calloc) {
		void *memory = bootstrap + bootstrap_used;
		bootstrap_used += (items * size + 15) & ~(size_t)15;
		memset(memory, 0, items * size);
		real_calloc = dlsym(RTLD_NEXT, "calloc");
		return memory;
	}
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	return real_calloc(items, size);
}

void *realloc(void *pointer, size_t size) {
	if(!real_realloc) {
		real_realloc = dlsym(RTLD_NEXT, "realloc");
	}
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	return real_realloc(pointer, size);
}

void free(void *pointer) {
	if((char *)pointer >= bootstrap && (char *)pointer < bootstrap + sizeof(bootstrap)) {
		return;
	}
	if(!real_free) {
		real_free = dlsym(RTLD_NEXT, "free");
	}
	real_free(pointer);
}

static void report(int signal_number) {
	(void)signal_number;
	char line[64];
	int length = snprintf(line, sizeof(line), "MALLOCS %lu\n", __atomic_load_n(&count, __ATOMIC_RELAXED));
	if(write(2, line, length) < 0) {
		return;
	}
}

__attribute__((constructor)) static void install(void) {
	signal(SIGWINCH, report);
}

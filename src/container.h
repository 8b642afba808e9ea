/* container — from a member embedded in a struct back to the struct, for the
 * callbacks (timers, list links) that are handed only the member. */
#ifndef SWITCHBOARD_CONTAINER_H
#define SWITCHBOARD_CONTAINER_H

#include <stddef.h>

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif

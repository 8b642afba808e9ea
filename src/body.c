#include "autoconfig.h"

#include "body.h"

#include "filecache.h"

#include <stdlib.h>
#include <unistd.h>

void body_release(struct body *b)
{
	switch (b->kind) {
	case BODY_NONE:
	case BODY_STATIC:
		break;
	case BODY_FILE:
		if (b->fd >= 0)
			close(b->fd);
		break;
	case BODY_MEMORY:
		filecache_release(b->mem);
		break;
	case BODY_OWNED:
		free((void *)b->bytes);
		break;
	case BODY_GENERATED:
		b->gen->release(b->gen_state);
		break;
	}
	*b = (struct body){.kind = BODY_NONE};
}

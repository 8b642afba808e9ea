#include "autoconfig.h"

#include "readiness.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int readiness_channel(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return -1;
	int flags = fcntl(fds[0], F_GETFL);
	if (flags < 0 || fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

void readiness_send(int fd, enum readiness_kind kind, const char *text)
{
	if (fd < 0)
		return;
	char kind_byte = (char)kind;
	size_t len = strlen(text);
	struct iovec iov[2] = {
	    {&kind_byte, 1},
	    {(void *)text, len < READINESS_TEXT_MAX ? len : READINESS_TEXT_MAX},
	};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t sent;
	do
		sent = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (sent < 0 && errno == EINTR);
}

int readiness_receive(int fd, enum readiness_kind *kind, char *text, size_t text_size)
{
	char record[1 + READINESS_TEXT_MAX];
	ssize_t n;
	do
		n = recv(fd, record, sizeof record, 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0)
		return -1;
	size_t len = (size_t)n - 1;
	if (text_size == 0)
		return -1;
	if (len >= text_size)
		len = text_size - 1;
	*kind = (enum readiness_kind)record[0];
	memcpy(text, record + 1, len);
	text[len] = '\0';
	return 1;
}

#include <zmq.h>
/* the socket loop wakes its zmq_poll with an eventfd */
#include <sys/eventfd.h>

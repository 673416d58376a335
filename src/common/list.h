/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/list.h - intrusive circular doubly linked list.
 * Threads: none; the owner of the list serializes access. */
#ifndef SEPIA_COMMON_LIST_H
#define SEPIA_COMMON_LIST_H
#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
};

#define LIST_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void list_init(struct list_node *head)
{
	head->prev = head->next = head;
}

static inline bool list_is_empty(const struct list_node *head)
{
	return head->next == head;
}

static inline void list_insert_after(struct list_node *pos, struct list_node *n)
{
	n->prev = pos;
	n->next = pos->next;
	pos->next->prev = n;
	pos->next = n;
}

static inline void list_push_back(struct list_node *head, struct list_node *n)
{
	list_insert_after(head->prev, n);
}

static inline void list_push_front(struct list_node *head, struct list_node *n)
{
	list_insert_after(head, n);
}

static inline void list_remove(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/* Removes and returns the first node, or NULL when empty. */
static inline struct list_node *list_pop_front(struct list_node *head)
{
	struct list_node *n = head->next;

	if (n == head)
		return NULL;
	list_remove(n);
	return n;
}

/* Moves every node of from to the back of to; from ends empty. */
static inline void list_splice_back(struct list_node *to, struct list_node *from)
{
	if (list_is_empty(from))
		return;
	from->next->prev = to->prev;
	to->prev->next = from->next;
	from->prev->next = to;
	to->prev = from->prev;
	list_init(from);
}

#define LIST_FOR_EACH(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)
#define LIST_FOR_EACH_SAFE(pos, tmp, head) \
	for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

#endif /* SEPIA_COMMON_LIST_H */

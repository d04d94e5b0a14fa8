/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libipset/linux_ip_set.h>
#include <libipset/linux_ip_set_hash.h>
#include <libipset/session.h>
#include <libipset/errcode.h>

#include "buf.h"
#include "err.h"
#include "grant_impl.h"

/* Every ipset-capable kernel accepts 6; 7 only adds set indexes we never use. */
#define GRANT_PROTOCOL IPSET_PROTOCOL_MIN
/* The kernel caps a dump datagram at 32 KiB; twice that leaves room. */
#define GRANT_RCVBUF 65536
#define GRANT_REQBUF 512
/* A full 65536-entry set dumps in a few hundred datagrams. */
#define GRANT_RECV_MAX 100000
/* A kernel that never answers must not hang ckqd forever. */
#define GRANT_RCV_TIMEOUT_S 5

struct gi {
	struct grant base;
	struct mnl_socket *nl;
	struct ipset_session *texts;	/* only to word errors as ipset(8) does */
	unsigned int portid;
	uint32_t seq;
	bool broken;	/* a read failed: replies may be half read */
	_Alignas(struct nlmsghdr) uint8_t rbuf[GRANT_RCVBUF];
};

typedef int (*msg_cb)(const struct nlmsghdr *nlh, void *arg);

__attribute__((format(printf, 2, 3)))
static void set_msg(struct gi *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->base.msg, sizeof(g->base.msg), fmt, ap);
	va_end(ap);
}

static int sys_fail(struct gi *g, const char *what)
{
	set_msg(g, "%s: %s", what, strerror(errno));
	return CKQ_ERR_IPSET;
}

static int bad_reply(struct gi *g)
{
	set_msg(g, "Broken kernel message");
	return CKQ_ERR_IPSET;
}

/*
 * Our sets are all hash:ip, but libipset only words type-specific codes
 * after it ran a command itself, which we never let it do.
 */
static const struct {
	int code;
	const char *text;
} hash_texts[] = {
	{ IPSET_ERR_HASH_FULL, "Hash is full, cannot add more elements" },
	{ IPSET_ERR_HASH_ELEM,
	  "Null-valued element, cannot be stored in a hash type of set" },
};

static int kernel_fail(struct gi *g, enum ipset_cmd cmd, int code)
{
	const char *t;
	size_t i, n;

	for (i = 0; i < sizeof(hash_texts) / sizeof(hash_texts[0]); i++) {
		if (hash_texts[i].code == code) {
			set_msg(g, "%s", hash_texts[i].text);
			return CKQ_ERR_IPSET;
		}
	}
	ipset_session_report_reset(g->texts);
	ipset_errcode(g->texts, cmd, code);
	t = ipset_session_report_msg(g->texts);
	n = strcspn(t, "\n");
	set_msg(g, "%.*s", (int)n, t);
	return code == ENOENT ? CKQ_ERR_NOENT : CKQ_ERR_IPSET;
}

static int nl_open(struct gi *g)
{
	struct timeval tv = { .tv_sec = GRANT_RCV_TIMEOUT_S };

	if (g->nl)
		mnl_socket_close(g->nl);
	g->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!g->nl || mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(g->nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0)
		return -1;
	g->portid = mnl_socket_get_portid(g->nl);
	g->broken = false;
	return 0;
}

static struct nlmsghdr *req_start(struct gi *g, void *buf, uint8_t cmd,
				  uint16_t flags, uint8_t nfproto)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = NFNL_SUBSYS_IPSET << 8 | cmd;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++g->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = nfproto;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(0);
	if (!mnl_attr_put_u8_check(nlh, GRANT_REQBUF, IPSET_ATTR_PROTOCOL,
				   GRANT_PROTOCOL))
		return NULL;
	return nlh;
}

/*
 * Sends one request and reads until its ack, error or end of dump, passing
 * each data message of type cmd to cb (if any) until cb returns non-zero:
 * negative for an error, positive to stop. Replies to earlier requests are
 * skipped. A dump is always read to its end, because the kernel refuses
 * another dump on a socket that is still dumping.
 * Returns 0, a negative CKQ_ERR_* (g->msg set), or the kernel's positive
 * error code for the caller to interpret.
 */
static int talk(struct gi *g, struct nlmsghdr *req, uint8_t cmd,
		msg_cb cb, void *arg)
{
	uint16_t want = NFNL_SUBSYS_IPSET << 8 | cmd;
	int cb_ret = 0;
	bool more = cb != NULL;
	long n;

	/* An unfinished dump would make every later dump fail with EBUSY. */
	if (g->broken && nl_open(g) < 0)
		return sys_fail(g, "netlink socket");
	if (mnl_socket_sendto(g->nl, req, req->nlmsg_len) < 0)
		return sys_fail(g, "netlink send");
	for (n = 0; n < GRANT_RECV_MAX; n++) {
		ssize_t len = mnl_socket_recvfrom(g->nl, g->rbuf,
						  sizeof(g->rbuf));
		const struct nlmsghdr *m = (const struct nlmsghdr *)g->rbuf;
		int left;

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			g->broken = true;
			return sys_fail(g, errno == EAGAIN ?
					"no answer from the kernel" :
					"netlink receive");
		}
		for (left = (int)len; mnl_nlmsg_ok(m, left);
		     m = mnl_nlmsg_next(m, &left)) {
			struct cur c = cur_init(mnl_nlmsg_get_payload(m),
						mnl_nlmsg_get_payload_len(m));
			int32_t e = 0;

			if (m->nlmsg_seq != req->nlmsg_seq ||
			    m->nlmsg_pid != g->portid)
				continue;
			switch (m->nlmsg_type) {
			case NLMSG_ERROR:
				if (!cur_copy(&c, &e, sizeof(e)) || e > 0)
					return bad_reply(g);
				return e ? -e : cb_ret;
			case NLMSG_DONE:
				/* Newer kernels report a failed dump here. */
				if (cur_left(&c) >= sizeof(e))
					cur_copy(&c, &e, sizeof(e));
				return e < 0 ? -e : cb_ret;
			case NLMSG_NOOP:
				continue;
			case NLMSG_OVERRUN:
				return bad_reply(g);
			}
			if (more && m->nlmsg_type == want) {
				int r = cb(m, arg);

				more = !r;
				cb_ret = r < 0 ? r : 0;
			}
		}
	}
	g->broken = true;
	set_msg(g, "endless answer from the kernel");
	return CKQ_ERR_IPSET;
}

static void gi_close(struct grant *gg)
{
	struct gi *g = (struct gi *)gg;

	if (!g)
		return;
	if (g->nl)
		mnl_socket_close(g->nl);
	if (g->texts)
		ipset_session_fini(g->texts);
	free(g);
}

static struct grant *gi_open(void)
{
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh;
	struct gi *g;
	int r, saved;

	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	if (nl_open(g) < 0)
		goto fail;
	g->texts = ipset_session_init(NULL, NULL);
	if (!g->texts) {
		errno = ENOMEM;
		goto fail;
	}
	/* Fail at daemon start, not at the first grant, without CAP_NET_ADMIN. */
	nlh = req_start(g, buf, IPSET_CMD_PROTOCOL, NLM_F_ACK, NFPROTO_UNSPEC);
	r = nlh ? talk(g, nlh, IPSET_CMD_PROTOCOL, NULL, NULL) : CKQ_ERR_INTERNAL;
	if (r) {
		errno = r > 0 && r < IPSET_ERR_PRIVATE ? r : EPROTO;
		goto fail;
	}
	return &g->base;
fail:
	saved = errno;
	gi_close(&g->base);
	errno = saved;
	return NULL;
}

/* The request shared by add, del and test, up to the open DATA nest. */
static struct nlmsghdr *adt_start(struct gi *g, void *buf, uint8_t cmd,
				  uint16_t flags, const char *set,
				  const struct ckq_addr *addr,
				  struct nlattr **data)
{
	bool v4 = addr->family == CKQ_AF_INET;
	struct nlmsghdr *nlh;
	struct nlattr *ip;

	nlh = req_start(g, buf, cmd, flags, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (!nlh || !mnl_attr_put_strz_check(nlh, GRANT_REQBUF,
					     IPSET_ATTR_SETNAME, set))
		return NULL;
	*data = mnl_attr_nest_start_check(nlh, GRANT_REQBUF, IPSET_ATTR_DATA);
	ip = *data ? mnl_attr_nest_start_check(nlh, GRANT_REQBUF,
					       IPSET_ATTR_IP) : NULL;
	if (!ip || !mnl_attr_put_check(nlh, GRANT_REQBUF,
				       (v4 ? IPSET_ATTR_IPADDR_IPV4 :
					     IPSET_ATTR_IPADDR_IPV6) |
				       NLA_F_NET_BYTEORDER,
				       addr_len(addr), addr->a))
		return NULL;
	mnl_attr_nest_end(nlh, ip);
	return nlh;
}

static int gi_add(struct grant *gg, const char *set, const struct ckq_addr *addr,
		  uint32_t timeout_s, const char *comment)
{
	struct gi *g = (struct gi *)gg;
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *data;
	int r;

	/* Without NLM_F_EXCL the kernel updates an existing entry (-exist). */
	nlh = adt_start(g, buf, IPSET_CMD_ADD, NLM_F_ACK, set, addr, &data);
	if (!nlh || !mnl_attr_put_u32_check(nlh, GRANT_REQBUF,
					    IPSET_ATTR_TIMEOUT |
					    NLA_F_NET_BYTEORDER,
					    htonl(timeout_s)) ||
	    (comment && !mnl_attr_put_strz_check(nlh, GRANT_REQBUF,
						 IPSET_ATTR_COMMENT, comment))) {
		set_msg(g, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	mnl_attr_nest_end(nlh, data);
	r = talk(g, nlh, IPSET_CMD_ADD, NULL, NULL);
	if (r > 0)
		return kernel_fail(g, IPSET_CMD_ADD, r);
	if (!r)
		g->base.msg[0] = '\0';
	return r;
}

static int gi_del(struct grant *gg, const char *set, const struct ckq_addr *addr)
{
	struct gi *g = (struct gi *)gg;
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *data;
	int r;

	/* NLM_F_EXCL makes the kernel report an absent entry. */
	nlh = adt_start(g, buf, IPSET_CMD_DEL, NLM_F_ACK | NLM_F_EXCL, set,
			addr, &data);
	if (!nlh) {
		set_msg(g, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	mnl_attr_nest_end(nlh, data);
	r = talk(g, nlh, IPSET_CMD_DEL, NULL, NULL);
	if (r == IPSET_ERR_EXIST) {
		kernel_fail(g, IPSET_CMD_DEL, r);
		return CKQ_ERR_NOENT;
	}
	if (r > 0)
		return kernel_fail(g, IPSET_CMD_DEL, r);
	if (!r)
		g->base.msg[0] = '\0';
	return r;
}

static int gi_test(struct grant *gg, const char *set, const struct ckq_addr *addr)
{
	struct gi *g = (struct gi *)gg;
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *data;
	int r;

	nlh = adt_start(g, buf, IPSET_CMD_TEST, NLM_F_ACK, set, addr, &data);
	if (!nlh) {
		set_msg(g, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	mnl_attr_nest_end(nlh, data);
	r = talk(g, nlh, IPSET_CMD_TEST, NULL, NULL);
	if (r < 0)
		return r;
	g->base.msg[0] = '\0';
	if (r == 0)
		return 1;
	if (r == IPSET_ERR_EXIST)
		return 0;
	return kernel_fail(g, IPSET_CMD_TEST, r);
}

/*
 * Keeps a validated attribute in tb; the callers below pick the types they
 * know and skip the rest, so attributes newer than this code do no harm.
 */
static int attr_keep(const struct nlattr *a, void *data,
		     enum mnl_attr_data_type kind, size_t len)
{
	const struct nlattr **tb = data;

	if (kind == MNL_TYPE_NUL_STRING) {
		if (mnl_attr_validate(a, kind) < 0 ||
		    mnl_attr_get_payload_len(a) > len)
			return MNL_CB_ERROR;
	} else if ((len ? mnl_attr_validate2(a, kind, len) :
			  mnl_attr_validate(a, kind)) < 0) {
		return MNL_CB_ERROR;
	}
	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int cmd_attr_cb(const struct nlattr *a, void *data)
{
	switch (mnl_attr_get_type(a)) {
	case IPSET_ATTR_SETNAME:
		return attr_keep(a, data, MNL_TYPE_NUL_STRING, IPSET_MAXNAMELEN);
	case IPSET_ATTR_ADT:
		return attr_keep(a, data, MNL_TYPE_NESTED, 0);
	}
	return MNL_CB_OK;
}

static int adt_attr_cb(const struct nlattr *a, void *data)
{
	switch (mnl_attr_get_type(a)) {
	case IPSET_ATTR_IP:
		return attr_keep(a, data, MNL_TYPE_NESTED, 0);
	case IPSET_ATTR_TIMEOUT:
		return attr_keep(a, data, MNL_TYPE_U32, 0);
	case IPSET_ATTR_COMMENT:
		return attr_keep(a, data, MNL_TYPE_NUL_STRING,
				 IPSET_MAX_COMMENT_SIZE + 1);
	}
	return MNL_CB_OK;
}

static int ipaddr_attr_cb(const struct nlattr *a, void *data)
{
	switch (mnl_attr_get_type(a)) {
	case IPSET_ATTR_IPADDR_IPV4:
		return attr_keep(a, data, MNL_TYPE_BINARY, 4);
	case IPSET_ATTR_IPADDR_IPV6:
		return attr_keep(a, data, MNL_TYPE_BINARY, 16);
	}
	return MNL_CB_OK;
}

/* Parses the fixed nfgenmsg and the command-level attributes of one reply. */
static int parse_cmd(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg) ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), cmd_attr_cb,
			   tb) < MNL_CB_OK || !tb[IPSET_ATTR_SETNAME])
		return -1;
	return 0;
}

struct list_ctx {
	struct gi *g;
	const char *set;
	grant_list_cb cb;
	void *arg;
	int user_ret;
};

/* The kernel's comment, made safe to print on a terminal or in a log. */
static void comment_copy(char *out, size_t out_size, const struct nlattr *a)
{
	struct cur c = cur_init(a ? mnl_attr_get_payload(a) : NULL,
				a ? mnl_attr_get_payload_len(a) : 0);
	size_t i;

	for (i = 0; i + 1 < out_size && cur_left(&c); i++) {
		uint8_t ch = cur_u8(&c);

		if (!ch)
			break;
		out[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[i] = '\0';
}

static int list_elem(struct list_ctx *x, const struct nlattr *elem)
{
	const struct nlattr *etb[IPSET_ATTR_ADT_MAX + 1] = { NULL };
	const struct nlattr *itb[IPSET_ATTR_IPADDR_MAX + 1] = { NULL };
	char comment[IPSET_MAX_COMMENT_SIZE + 1];
	struct ckq_addr addr = { 0 };
	const struct nlattr *ip;
	uint32_t timeout = 0;
	struct cur c;

	if (mnl_attr_validate(elem, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(elem, adt_attr_cb, etb) < MNL_CB_OK ||
	    !etb[IPSET_ATTR_IP] ||
	    mnl_attr_parse_nested(etb[IPSET_ATTR_IP], ipaddr_attr_cb,
				  itb) < MNL_CB_OK)
		return bad_reply(x->g);
	ip = itb[IPSET_ATTR_IPADDR_IPV4];
	addr.family = CKQ_AF_INET;
	if (!ip) {
		ip = itb[IPSET_ATTR_IPADDR_IPV6];
		addr.family = CKQ_AF_INET6;
	}
	if (!ip)
		return bad_reply(x->g);
	c = cur_init(mnl_attr_get_payload(ip), mnl_attr_get_payload_len(ip));
	if (!cur_copy(&c, addr.a, addr_len(&addr)))
		return bad_reply(x->g);
	if (etb[IPSET_ATTR_TIMEOUT]) {
		c = cur_init(mnl_attr_get_payload(etb[IPSET_ATTR_TIMEOUT]),
			     mnl_attr_get_payload_len(etb[IPSET_ATTR_TIMEOUT]));
		timeout = cur_u32(&c);
	}
	comment_copy(comment, sizeof(comment), etb[IPSET_ATTR_COMMENT]);
	x->user_ret = x->cb ? x->cb(&addr, timeout, comment, x->arg) : 0;
	return 0;
}

static int list_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1] = { NULL };
	struct list_ctx *x = arg;
	const struct nlattr *elem;
	int r;

	if (parse_cmd(nlh, tb) < 0)
		return bad_reply(x->g);
	if (strcmp(mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]), x->set) ||
	    !tb[IPSET_ATTR_ADT])
		return 0;
	mnl_attr_for_each_nested(elem, tb[IPSET_ATTR_ADT]) {
		if (mnl_attr_get_type(elem) != IPSET_ATTR_DATA)
			continue;
		r = list_elem(x, elem);
		if (r)
			return r;
		/* Stop calling back; talk() still drains the dump. */
		if (x->user_ret)
			return 1;
	}
	return 0;
}

static int gi_list(struct grant *gg, const char *set, grant_list_cb cb, void *arg)
{
	struct gi *g = (struct gi *)gg;
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct list_ctx x = { .g = g, .set = set, .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int r;

	nlh = req_start(g, buf, IPSET_CMD_LIST, NLM_F_DUMP, NFPROTO_UNSPEC);
	if (!nlh || !mnl_attr_put_strz_check(nlh, GRANT_REQBUF,
					     IPSET_ATTR_SETNAME, set)) {
		set_msg(g, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	r = talk(g, nlh, IPSET_CMD_LIST, list_msg, &x);
	if (r > 0)
		return kernel_fail(g, IPSET_CMD_LIST, r);
	if (r < 0)
		return r;
	g->base.msg[0] = '\0';
	return x.user_ret;
}

struct sets_ctx {
	struct gi *g;
	grant_set_cb cb;
	void *arg;
	int user_ret;
};

static int sets_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1] = { NULL };
	struct sets_ctx *x = arg;
	const char *name;

	if (parse_cmd(nlh, tb) < 0)
		return bad_reply(x->g);
	name = mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]);
	if (!grant_set_family(name))
		return 0;
	x->user_ret = x->cb(name, x->arg);
	return x->user_ret ? 1 : 0;
}

static int gi_list_sets(struct grant *gg, grant_set_cb cb, void *arg)
{
	struct gi *g = (struct gi *)gg;
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct sets_ctx x = { .g = g, .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int r;

	nlh = req_start(g, buf, IPSET_CMD_LIST, NLM_F_DUMP, NFPROTO_UNSPEC);
	if (!nlh || !mnl_attr_put_u32_check(nlh, GRANT_REQBUF,
					    IPSET_ATTR_FLAGS |
					    NLA_F_NET_BYTEORDER,
					    htonl(IPSET_FLAG_LIST_SETNAME))) {
		set_msg(g, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	r = talk(g, nlh, IPSET_CMD_LIST, sets_msg, &x);
	if (r > 0)
		return kernel_fail(g, IPSET_CMD_LIST, r);
	if (r < 0)
		return r;
	g->base.msg[0] = '\0';
	return x.user_ret;
}

struct info_ctx {
	struct gi *g;
	const char *set;
	uint32_t refs;
	uint8_t family;
	bool found;
};

static int header_attr_cb(const struct nlattr *a, void *data)
{
	switch (mnl_attr_get_type(a)) {
	case IPSET_ATTR_SETNAME:
		return attr_keep(a, data, MNL_TYPE_NUL_STRING, IPSET_MAXNAMELEN);
	case IPSET_ATTR_FAMILY:
		return attr_keep(a, data, MNL_TYPE_U8, 0);
	case IPSET_ATTR_DATA:
		return attr_keep(a, data, MNL_TYPE_NESTED, 0);
	}
	return MNL_CB_OK;
}

static int create_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IPSET_ATTR_REFERENCES)
		return attr_keep(a, data, MNL_TYPE_U32, 0);
	return MNL_CB_OK;
}

/* The first message of a set's listing carries its header in DATA. */
static int info_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1] = { NULL };
	const struct nlattr *dtb[IPSET_ATTR_CREATE_MAX + 1] = { NULL };
	struct info_ctx *x = arg;
	struct cur c;
	uint8_t fam;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg) ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), header_attr_cb,
			   tb) < MNL_CB_OK || !tb[IPSET_ATTR_SETNAME])
		return bad_reply(x->g);
	if (strcmp(mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]), x->set) ||
	    !tb[IPSET_ATTR_DATA] || x->found)
		return 0;
	if (mnl_attr_parse_nested(tb[IPSET_ATTR_DATA], create_attr_cb,
				  dtb) < MNL_CB_OK || !dtb[IPSET_ATTR_REFERENCES])
		return bad_reply(x->g);
	c = cur_init(mnl_attr_get_payload(dtb[IPSET_ATTR_REFERENCES]),
		     mnl_attr_get_payload_len(dtb[IPSET_ATTR_REFERENCES]));
	x->refs = cur_u32(&c);
	fam = tb[IPSET_ATTR_FAMILY] ? mnl_attr_get_u8(tb[IPSET_ATTR_FAMILY]) : 0;
	x->family = fam == NFPROTO_IPV4 ? CKQ_AF_INET :
		    fam == NFPROTO_IPV6 ? CKQ_AF_INET6 : 0;
	x->found = true;
	return 0;
}

static int gi_set_info(struct grant *gg, const char *set, uint32_t *refs,
		       uint8_t *family)
{
	struct gi *g = (struct gi *)gg;
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct info_ctx x = { .g = g, .set = set };
	struct nlmsghdr *nlh;
	int r;

	/* A listing without members: the header alone, whatever the set holds. */
	nlh = req_start(g, buf, IPSET_CMD_LIST, NLM_F_DUMP, NFPROTO_UNSPEC);
	if (!nlh || !mnl_attr_put_strz_check(nlh, GRANT_REQBUF,
					     IPSET_ATTR_SETNAME, set) ||
	    !mnl_attr_put_u32_check(nlh, GRANT_REQBUF,
				    IPSET_ATTR_FLAGS | NLA_F_NET_BYTEORDER,
				    htonl(IPSET_FLAG_LIST_HEADER))) {
		set_msg(g, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	r = talk(g, nlh, IPSET_CMD_LIST, info_msg, &x);
	if (r > 0)
		return kernel_fail(g, IPSET_CMD_LIST, r);
	if (r < 0)
		return r;
	if (!x.found)
		return bad_reply(g);
	g->base.msg[0] = '\0';
	*refs = x.refs;
	*family = x.family;
	return 0;
}

const struct grant_ops grant_ipset_ops = {
	.open = gi_open,
	.close = gi_close,
	.add = gi_add,
	.del = gi_del,
	.test = gi_test,
	.list = gi_list,
	.list_sets = gi_list_sets,
	.set_info = gi_set_info,
};

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme_ring_io tracepoints (system nvme_ring_io): a command's life from
 * the ring to the device and back, what the ring refuses and why, and
 * the states of the ring and its SQ pollers. Documented in
 * Documentation/nvme_ring_io.rst, "Watching a ring".
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nvme_ring_io

#if !defined(NRI_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define NRI_TRACE_H

#include <linux/tracepoint.h>

#include "compat.h"

TRACE_EVENT(nvme_ring_io_submit,
	    TP_PROTO(const char *ring, unsigned int queue, u64 slot,
		     u8 opcode, u64 slba, u32 bytes),
	    TP_ARGS(ring, queue, slot, opcode, slba, bytes),
	    TP_STRUCT__entry(__string(ring, ring)
			     __field(unsigned int, queue)
			     __field(u64, slot)
			     __field(u8, opcode)
			     __field(u64, slba)
			     __field(u32, bytes)),
	    TP_fast_assign(nri_assign_str(ring);
			   __entry->queue = queue;
			   __entry->slot = slot;
			   __entry->opcode = opcode;
			   __entry->slba = slba;
			   __entry->bytes = bytes;),
	    TP_printk("ring=%s queue=%u slot=0x%llx opcode=0x%02x slba=%llu bytes=%u",
		      __get_str(ring), __entry->queue, __entry->slot,
		      __entry->opcode, __entry->slba, __entry->bytes)
);

TRACE_EVENT(nvme_ring_io_reject,
	    TP_PROTO(const char *ring, unsigned int queue, u64 slot,
		     u8 opcode, u16 status, int err, const char *reason),
	    TP_ARGS(ring, queue, slot, opcode, status, err, reason),
	    TP_STRUCT__entry(__string(ring, ring)
			     __field(unsigned int, queue)
			     __field(u64, slot)
			     __field(u8, opcode)
			     __field(u16, status)
			     __field(int, err)
			     __string(reason, reason)),
	    TP_fast_assign(nri_assign_str(ring);
			   __entry->queue = queue;
			   __entry->slot = slot;
			   __entry->opcode = opcode;
			   __entry->status = status;
			   __entry->err = err;
			   nri_assign_str(reason);),
	    TP_printk("ring=%s queue=%u slot=0x%llx opcode=0x%02x status=0x%x err=%d reason=\"%s\"",
		      __get_str(ring), __entry->queue, __entry->slot,
		      __entry->opcode, __entry->status, __entry->err,
		      __get_str(reason))
);

TRACE_EVENT(nvme_ring_io_complete,
	    TP_PROTO(const char *ring, unsigned int queue, u64 slot,
		     u8 opcode, u16 status, int err, u64 latency_ns),
	    TP_ARGS(ring, queue, slot, opcode, status, err, latency_ns),
	    TP_STRUCT__entry(__string(ring, ring)
			     __field(unsigned int, queue)
			     __field(u64, slot)
			     __field(u8, opcode)
			     __field(u16, status)
			     __field(int, err)
			     __field(u64, latency_ns)),
	    TP_fast_assign(nri_assign_str(ring);
			   __entry->queue = queue;
			   __entry->slot = slot;
			   __entry->opcode = opcode;
			   __entry->status = status;
			   __entry->err = err;
			   __entry->latency_ns = latency_ns;),
	    TP_printk("ring=%s queue=%u slot=0x%llx opcode=0x%02x status=0x%x err=%d latency_ns=%llu",
		      __get_str(ring), __entry->queue, __entry->slot,
		      __entry->opcode, __entry->status, __entry->err,
		      __entry->latency_ns)
);

TRACE_EVENT(nvme_ring_io_cq_full,
	    TP_PROTO(const char *ring, unsigned int queue, u32 cq_used,
		     u32 inflight),
	    TP_ARGS(ring, queue, cq_used, inflight),
	    TP_STRUCT__entry(__string(ring, ring)
			     __field(unsigned int, queue)
			     __field(u32, cq_used)
			     __field(u32, inflight)),
	    TP_fast_assign(nri_assign_str(ring);
			   __entry->queue = queue;
			   __entry->cq_used = cq_used;
			   __entry->inflight = inflight;),
	    TP_printk("ring=%s queue=%u cq_used=%u inflight=%u",
		      __get_str(ring), __entry->queue, __entry->cq_used,
		      __entry->inflight)
);

DECLARE_EVENT_CLASS(nvme_ring_io_sq_poller,
		    TP_PROTO(const char *ring, unsigned int queue),
		    TP_ARGS(ring, queue),
		    TP_STRUCT__entry(__string(ring, ring)
				     __field(unsigned int, queue)),
		    TP_fast_assign(nri_assign_str(ring);
				   __entry->queue = queue;),
		    TP_printk("ring=%s queue=%u", __get_str(ring),
			      __entry->queue)
);

DEFINE_EVENT(nvme_ring_io_sq_poller, nvme_ring_io_sq_poll_sleep,
	     TP_PROTO(const char *ring, unsigned int queue),
	     TP_ARGS(ring, queue)
);

DEFINE_EVENT(nvme_ring_io_sq_poller, nvme_ring_io_sq_poll_wake,
	     TP_PROTO(const char *ring, unsigned int queue),
	     TP_ARGS(ring, queue)
);

TRACE_EVENT(nvme_ring_io_state,
	    TP_PROTO(const char *ring, const char *from, const char *to),
	    TP_ARGS(ring, from, to),
	    TP_STRUCT__entry(__string(ring, ring)
			     __string(from, from)
			     __string(to, to)),
	    TP_fast_assign(nri_assign_str(ring);
			   nri_assign_str(from);
			   nri_assign_str(to);),
	    TP_printk("ring=%s from=%s to=%s", __get_str(ring),
		      __get_str(from), __get_str(to))
);

/* A ring on a multipath head moved to another path. */
TRACE_EVENT(nvme_ring_io_path,
	    TP_PROTO(const char *ring, const char *from, const char *to,
		     bool failed),
	    TP_ARGS(ring, from, to, failed),
	    TP_STRUCT__entry(__string(ring, ring)
			     __string(from, from)
			     __string(to, to)
			     __field(bool, failed)),
	    TP_fast_assign(nri_assign_str(ring);
			   nri_assign_str(from);
			   nri_assign_str(to);
			   __entry->failed = failed;),
	    TP_printk("ring=%s from=%s to=%s failed=%d", __get_str(ring),
		      __get_str(from), __get_str(to), __entry->failed)
);

#endif /* NRI_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE nri_trace
#include <trace/define_trace.h>

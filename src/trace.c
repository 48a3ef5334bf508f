// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: the tracepoints' definitions (nri_trace.h).
 */
#define CREATE_TRACE_POINTS
#include "nri_trace.h"

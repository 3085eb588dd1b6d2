/*
 * xen_pv.h - the part of the Xen PV guest ABI (x86-64) that hvcore
 * implements, so that stock Linux kernels built with CONFIG_XEN_PV boot as
 * guests (docs/xen-pv.md).
 *
 * Written from Xen's published interface (xen/include/public): the numbers
 * and layouts are the ABI and must match it bit for bit; the names follow
 * Xen's with an XEN_ / xen_ prefix.  Only what hvcore serves is here.
 *
 * Calling convention (64-bit PV): the guest kernel runs at CPL 3 and makes
 * a hypercall with `syscall`, number in rax, arguments in rdi, rsi, rdx,
 * r10, r8 (and r9); the result comes back in rax, negative errno values on
 * failure (the same numbers as public/errno.h).  Pointers are guest
 * virtual addresses in the kernel's address space.
 */
#ifndef HV_PUBLIC_XEN_PV_H
#define HV_PUBLIC_XEN_PV_H

#include <stdint.h>

/* ---- hypercall numbers ------------------------------------------------ */
#define XEN_HC_set_trap_table        0
#define XEN_HC_mmu_update            1
#define XEN_HC_set_gdt               2
#define XEN_HC_stack_switch          3
#define XEN_HC_fpu_taskswitch        5
#define XEN_HC_sched_op_compat       6
#define XEN_HC_platform_op           7
#define XEN_HC_set_debugreg          8
#define XEN_HC_get_debugreg          9
#define XEN_HC_update_descriptor    10
#define XEN_HC_memory_op            12
#define XEN_HC_multicall            13
#define XEN_HC_update_va_mapping    14
#define XEN_HC_set_timer_op         15
#define XEN_HC_event_channel_op_compat 16
#define XEN_HC_xen_version          17
#define XEN_HC_console_io           18
#define XEN_HC_physdev_op_compat    19
#define XEN_HC_grant_table_op       20
#define XEN_HC_vm_assist            21
#define XEN_HC_update_va_mapping_otherdomain 22
#define XEN_HC_iret                 23
#define XEN_HC_vcpu_op              24
#define XEN_HC_set_segment_base     25
#define XEN_HC_mmuext_op            26
#define XEN_HC_xsm_op               27
#define XEN_HC_nmi_op               28
#define XEN_HC_sched_op             29
#define XEN_HC_callback_op          30
#define XEN_HC_xenoprof_op          31
#define XEN_HC_event_channel_op     32
#define XEN_HC_physdev_op           33
#define XEN_HC_hvm_op               34
#define XEN_HC_sysctl               35
#define XEN_HC_domctl               36
#define XEN_HC_kexec_op             37
#define XEN_HC_xenpmu_op            40
#define XEN_HC_dm_op                41
#define XEN_HC_hypfs_op             42
#define XEN_NR_HYPERCALLS           64

#define XEN_DOMID_SELF              0x7ff0u

/* ---- start of day ----------------------------------------------------- */
#define XEN_START_INFO_MAGIC "xen-3.0-x86_64"
#define XEN_MAX_GUEST_CMDLINE 1024

#define XEN_SIF_PRIVILEGED     (1u << 0)
#define XEN_SIF_INITDOMAIN     (1u << 1)
#define XEN_SIF_MULTIBOOT_MOD  (1u << 2)
#define XEN_SIF_MOD_START_PFN  (1u << 3)

struct xen_start_info {
    char magic[32];
    uint64_t nr_pages;
    uint64_t shared_info;          /* machine address of the shared info page */
    uint32_t flags;                /* XEN_SIF_* */
    uint32_t pad0;
    uint64_t store_mfn;
    uint32_t store_evtchn;
    uint32_t pad1;
    uint64_t console_mfn;          /* console.domU */
    uint32_t console_evtchn;
    uint32_t pad2;
    uint64_t pt_base;              /* virtual address of the boot L4 */
    uint64_t nr_pt_frames;
    uint64_t mfn_list;             /* virtual address of the P2M list */
    uint64_t mod_start;            /* initrd: virtual address, or pfn with SIF_MOD_START_PFN */
    uint64_t mod_len;
    char cmd_line[XEN_MAX_GUEST_CMDLINE];
    uint64_t first_p2m_pfn;
    uint64_t nr_p2m_frames;
};

/* ---- shared info ------------------------------------------------------ */
#define XEN_LEGACY_MAX_VCPUS 32
#define XEN_NR_EVTCHN_2L     4096   /* 64 * 64 ports, 2-level ABI */

struct xen_vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;                 /* XEN_PVCLOCK_TSC_STABLE */
    uint8_t pad1[2];
};
#define XEN_PVCLOCK_TSC_STABLE 1u

struct xen_vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    uint8_t pad0[6];
    uint64_t evtchn_pending_sel;
    uint64_t cr2;                  /* arch: the faulting address of a #PF */
    uint64_t arch_pad;
    struct xen_vcpu_time_info time;
};                                 /* 64 bytes */

struct xen_shared_info {
    struct xen_vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    uint64_t evtchn_pending[64];
    uint64_t evtchn_mask[64];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t wc_sec_hi;
    uint64_t max_pfn;              /* arch */
    uint64_t pfn_to_mfn_frame_list_list;
    uint64_t nmi_reason;
    uint64_t arch_pad[32];
    uint64_t p2m_cr3;
    uint64_t p2m_vaddr;
    uint64_t p2m_generation;
};

/* ---- console ring (a page; start_info console.domU) -------------------- */
struct xen_console_interface {
    char in[1024];
    char out[2048];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

#define XEN_CONSOLEIO_write 0
#define XEN_CONSOLEIO_read  1

/* ---- memory management ------------------------------------------------ */
struct xen_mmu_update {
    uint64_t ptr;                  /* machine address of the entry | command */
    uint64_t val;
};
#define XEN_MMU_NORMAL_PT_UPDATE       0
#define XEN_MMU_MACHPHYS_UPDATE        1
#define XEN_MMU_PT_UPDATE_PRESERVE_AD  2
#define XEN_MMU_PT_UPDATE_NO_TRANSLATE 3

struct xen_mmuext_op {
    uint32_t cmd;
    uint32_t pad;
    uint64_t arg1;                 /* mfn or linear address */
    uint64_t arg2;                 /* nr_ents, vcpumask pointer or src mfn */
};
#define XEN_MMUEXT_PIN_L1_TABLE      0
#define XEN_MMUEXT_PIN_L2_TABLE      1
#define XEN_MMUEXT_PIN_L3_TABLE      2
#define XEN_MMUEXT_PIN_L4_TABLE      3
#define XEN_MMUEXT_UNPIN_TABLE       4
#define XEN_MMUEXT_NEW_BASEPTR       5
#define XEN_MMUEXT_TLB_FLUSH_LOCAL   6
#define XEN_MMUEXT_INVLPG_LOCAL      7
#define XEN_MMUEXT_TLB_FLUSH_MULTI   8
#define XEN_MMUEXT_INVLPG_MULTI      9
#define XEN_MMUEXT_TLB_FLUSH_ALL    10
#define XEN_MMUEXT_INVLPG_ALL       11
#define XEN_MMUEXT_FLUSH_CACHE      12
#define XEN_MMUEXT_SET_LDT          13
#define XEN_MMUEXT_NEW_USER_BASEPTR 15
#define XEN_MMUEXT_CLEAR_PAGE       16
#define XEN_MMUEXT_COPY_PAGE        17
#define XEN_MMUEXT_FLUSH_CACHE_GLOBAL 18
#define XEN_MMUEXT_MARK_SUPER       19
#define XEN_MMUEXT_UNMARK_SUPER     20

/* update_va_mapping flags */
#define XEN_UVMF_NONE           0
#define XEN_UVMF_TLB_FLUSH      1
#define XEN_UVMF_INVLPG         2
#define XEN_UVMF_FLUSHTYPE_MASK 3
#define XEN_UVMF_ALL            4

/* count flag of mmu_update / mmuext_op: continuation of a preempted call */
#define XEN_MMU_UPDATE_PREEMPTED (~(~0u >> 1))

/* ---- multicall -------------------------------------------------------- */
struct xen_multicall_entry {
    uint64_t op;
    int64_t result;
    uint64_t args[6];
};

/* ---- traps, callbacks, iret --------------------------------------------- */
struct xen_trap_info {
    uint8_t vector;
    uint8_t flags;                 /* 0-1: DPL; 2: mask events on entry */
    uint16_t cs;
    uint32_t pad;
    uint64_t address;
};
#define XEN_TI_DPL(flags)      ((flags) & 3)
#define XEN_TI_MASK_EVENTS     4

#define XEN_CALLBACKOP_register   0
#define XEN_CALLBACKOP_unregister 1
struct xen_callback_register {
    uint16_t type;
    uint16_t flags;
    uint32_t pad;
    uint64_t address;
};
#define XEN_CALLBACKTYPE_event    0
#define XEN_CALLBACKTYPE_failsafe 1
#define XEN_CALLBACKTYPE_syscall  2
#define XEN_CALLBACKTYPE_nmi      4
#define XEN_CALLBACKTYPE_sysenter 5
#define XEN_CALLBACKTYPE_syscall32 7
#define XEN_CALLBACKF_mask_events 1u

/* What the iret hypercall pops from the guest kernel's stack. */
struct xen_iret_context {
    uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
};
#define XEN_VGCF_in_syscall (1u << 8)

/* Selectors of the flat segments in the hypervisor-reserved GDT page. */
#define XEN_FIRST_RESERVED_GDT_PAGE  14
#define XEN_FIRST_RESERVED_GDT_ENTRY (XEN_FIRST_RESERVED_GDT_PAGE * 512)
#define XEN_FLAT_RING3_CS32 0xe023
#define XEN_FLAT_RING3_CS64 0xe033
#define XEN_FLAT_RING3_DS32 0xe02b
#define XEN_FLAT_RING3_SS64 0xe02b
#define XEN_FLAT_KERNEL_CS  XEN_FLAT_RING3_CS64
#define XEN_FLAT_KERNEL_SS  XEN_FLAT_RING3_SS64

#define XEN_SEGBASE_FS          0
#define XEN_SEGBASE_GS_USER     1
#define XEN_SEGBASE_GS_KERNEL   2
#define XEN_SEGBASE_GS_USER_SEL 3

/* ---- xen_version -------------------------------------------------------- */
#define XEN_XENVER_version      0
#define XEN_XENVER_extraversion 1
#define XEN_XENVER_compile_info 2
#define XEN_XENVER_capabilities 3
#define XEN_XENVER_changeset    4
#define XEN_XENVER_platform_parameters 5
#define XEN_XENVER_get_features 6
#define XEN_XENVER_pagesize     7
#define XEN_XENVER_guest_handle 8
#define XEN_XENVER_commandline  9
#define XEN_XENVER_build_id    10

struct xen_feature_info {
    uint32_t submap_idx;
    uint32_t submap;
};
#define XEN_FEAT_writable_page_tables     0
#define XEN_FEAT_writable_descriptor_tables 1
#define XEN_FEAT_auto_translated_physmap  2
#define XEN_FEAT_supervisor_mode_kernel   3
#define XEN_FEAT_pae_pgdir_above_4gb      4
#define XEN_FEAT_mmu_pt_update_preserve_ad 5
#define XEN_FEAT_gnttab_map_avail_bits    7

/* ---- memory_op ---------------------------------------------------------- */
#define XEN_MEM_increase_reservation 0
#define XEN_MEM_decrease_reservation 1
#define XEN_MEM_maximum_ram_page     2
#define XEN_MEM_current_reservation  3
#define XEN_MEM_maximum_reservation  4
#define XEN_MEM_machphys_mfn_list    5
#define XEN_MEM_populate_physmap     6
#define XEN_MEM_add_to_physmap       7
#define XEN_MEM_memory_map           9
#define XEN_MEM_machine_memory_map  10
#define XEN_MEM_machphys_mapping    12
#define XEN_MEM_maximum_gpfn        14

struct xen_machphys_mapping {
    uint64_t v_start, v_end;
    uint64_t max_mfn;
};

struct xen_memory_map {
    uint32_t nr_entries;
    uint32_t pad;
    uint64_t buffer;               /* guest address of e820 entries */
};

struct xen_e820_entry {
    uint64_t addr, size;
    uint32_t type;                 /* 1: RAM */
} __attribute__((packed));

struct xen_memory_reservation {
    uint64_t extent_start;         /* guest address of a pfn list */
    uint64_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags;
    uint16_t domid;
};

/* ---- vm_assist ---------------------------------------------------------- */
#define XEN_VMASST_CMD_enable  0
#define XEN_VMASST_CMD_disable 1
#define XEN_VMASST_TYPE_4gb_segments        0
#define XEN_VMASST_TYPE_4gb_segments_notify 1
#define XEN_VMASST_TYPE_writable_pagetables 2
#define XEN_VMASST_TYPE_pae_extended_cr3    3
#define XEN_VMASST_TYPE_architectural_iopl  4
#define XEN_VMASST_TYPE_runstate_update_flag 5
#define XEN_VMASST_TYPE_m2p_strict         32

/* ---- vcpu_op ------------------------------------------------------------ */
#define XEN_VCPUOP_initialise      0
#define XEN_VCPUOP_up              1
#define XEN_VCPUOP_down            2
#define XEN_VCPUOP_is_up           3
#define XEN_VCPUOP_get_runstate_info 4
#define XEN_VCPUOP_register_runstate_memory_area 5
#define XEN_VCPUOP_set_periodic_timer 6
#define XEN_VCPUOP_stop_periodic_timer 7
#define XEN_VCPUOP_set_singleshot_timer 8
#define XEN_VCPUOP_stop_singleshot_timer 9
#define XEN_VCPUOP_register_vcpu_info 10
#define XEN_VCPUOP_send_nmi        11
#define XEN_VCPUOP_get_physid      12
#define XEN_VCPUOP_register_vcpu_time_memory_area 13

struct xen_vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns;
    uint32_t flags;                /* XEN_VCPU_SSHOTTMR_future */
    uint32_t pad;
};
#define XEN_VCPU_SSHOTTMR_future 1u

struct xen_vcpu_register_vcpu_info {
    uint64_t mfn;
    uint32_t offset;
    uint32_t rsvd;
};

struct xen_vcpu_runstate_info {
    int32_t state;
    int32_t pad;
    uint64_t state_entry_time;
    uint64_t time[4];
};
#define XEN_RUNSTATE_running  0
#define XEN_RUNSTATE_runnable 1
#define XEN_RUNSTATE_blocked  2
#define XEN_RUNSTATE_offline  3
#define XEN_RUNSTATE_UPDATE   (1ULL << 63)

/* ---- sched_op ----------------------------------------------------------- */
#define XEN_SCHEDOP_yield     0
#define XEN_SCHEDOP_block     1
#define XEN_SCHEDOP_shutdown  2
#define XEN_SCHEDOP_poll      3
#define XEN_SCHEDOP_remote_shutdown 4
#define XEN_SCHEDOP_shutdown_code 5
#define XEN_SCHEDOP_watchdog  6

#define XEN_SHUTDOWN_poweroff 0
#define XEN_SHUTDOWN_reboot   1
#define XEN_SHUTDOWN_suspend  2
#define XEN_SHUTDOWN_crash    3
#define XEN_SHUTDOWN_watchdog 4

struct xen_sched_poll {
    uint64_t ports;                /* guest address of a uint32_t array */
    uint32_t nr_ports;
    uint32_t pad;
    uint64_t timeout;
};

/* ---- event channels ------------------------------------------------------- */
#define XEN_EVTCHNOP_bind_interdomain 0
#define XEN_EVTCHNOP_bind_virq        1
#define XEN_EVTCHNOP_bind_pirq        2
#define XEN_EVTCHNOP_close            3
#define XEN_EVTCHNOP_send             4
#define XEN_EVTCHNOP_status           5
#define XEN_EVTCHNOP_alloc_unbound    6
#define XEN_EVTCHNOP_bind_ipi         7
#define XEN_EVTCHNOP_bind_vcpu        8
#define XEN_EVTCHNOP_unmask           9
#define XEN_EVTCHNOP_reset           10
#define XEN_EVTCHNOP_init_control    11
#define XEN_EVTCHNOP_expand_array    12
#define XEN_EVTCHNOP_set_priority    13

struct xen_evtchn_bind_virq { uint32_t virq, vcpu, port; };
struct xen_evtchn_bind_ipi { uint32_t vcpu, port; };
struct xen_evtchn_port_op { uint32_t port; };     /* close, send, unmask */
struct xen_evtchn_bind_vcpu { uint32_t port, vcpu; };
struct xen_evtchn_status {
    uint16_t dom;
    uint16_t pad;
    uint32_t port;
    uint32_t status;               /* XEN_EVTCHNSTAT_* */
    uint32_t vcpu;
    uint32_t u[2];                 /* virq, or remote dom/port */
};
#define XEN_EVTCHNSTAT_closed     0
#define XEN_EVTCHNSTAT_unbound    1
#define XEN_EVTCHNSTAT_interdomain 2
#define XEN_EVTCHNSTAT_pirq       3
#define XEN_EVTCHNSTAT_virq       4
#define XEN_EVTCHNSTAT_ipi        5

#define XEN_VIRQ_TIMER     0
#define XEN_VIRQ_DEBUG     1
#define XEN_VIRQ_CONSOLE   2
#define XEN_VIRQ_DOM_EXC   3
#define XEN_NR_VIRQS      24

/* ---- physdev_op ---------------------------------------------------------- */
#define XEN_PHYSDEVOP_set_iopl  6
#define XEN_PHYSDEVOP_set_iobitmap 7

/* Hypervisor hole of 64-bit PV guests: the guest must not put its own
 * mappings in these L4 slots (0xffff800000000000-0xffff87ffffffffff). */
#define XEN_HV_L4_FIRST 256
#define XEN_HV_L4_LAST  271

#endif /* HV_PUBLIC_XEN_PV_H */

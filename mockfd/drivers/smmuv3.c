/* SPDX-License-Identifier: MIT */
/*
 * Arm SMMUv3 driver of the mock: probe and bring-up through the register
 * protocol, the command queue, TLB maintenance, and the driver entry points
 * (the roles of Linux arm-smmu-v3.c arm_smmu_device_hw_probe /
 * arm_smmu_device_reset / arm_smmu_cmdq_* and arm-smmu-v3-iommufd.c
 * arm_smmu_hw_info). Facts: smmuv3.md §1-§3, §7, §9.
 *
 * Bring-up follows arm_smmu_device_reset(): GBPA.ABORT if the SMMU was found
 * enabled, CR0 = 0, CR1/CR2, STRTAB_BASE(_CFG), CMDQ_BASE/PROD/CONS, CMDQEN,
 * CFGI_ALL + TLBI_(EL2_ALL,)NSNH_ALL, EVTQ_BASE/PROD/CONS, EVTQEN, ATSCHK,
 * IRQ_CTRL (0 then EVTQ|GERROR), SMMUEN; every CR0 / IRQ_CTRL write polls its
 * ACK until it equals the value written (arm_smmu_write_reg_sync).
 *
 * The command queue is used the way Linux uses it, serialised by one lock
 * instead of Linux's lock-free algorithm: commands, then a CMD_SYNC that is
 * either an MSI aimed at its own queue slot (ARM_SMMU_OPT_MSIPOLL, when
 * IDR0.MSI and COHACC) polled until the slot's first word reads 0, or
 * CS=SEV polled through CMDQ_CONS (smmuv3.md §7.4).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include "smmuv3_priv.h"

#define POLL_LIMIT 10000

uint32_t smmu_rd32(struct smmu_unit *su, uint64_t off)
{
    return (uint32_t)emu_mmio_read(su->u->hw, off, 4);
}

void smmu_wr32(struct smmu_unit *su, uint64_t off, uint32_t v)
{
    emu_mmio_write(su->u->hw, off, 4, v);
}

void smmu_wr64(struct smmu_unit *su, uint64_t off, uint64_t v)
{
    emu_mmio_write(su->u->hw, off, 8, v);
}

/* arm_smmu_write_reg_sync: write, then poll the ACK register until it reads
 * exactly the value written (smmuv3.md §3.1, §3.4). */
static int write_reg_sync(struct smmu_unit *su, uint32_t val, uint64_t reg, uint64_t ack)
{
    int i;

    smmu_wr32(su, reg, val);
    for (i = 0; i < POLL_LIMIT; i++)
        if (smmu_rd32(su, ack) == val)
            return 0;
    su->broken = true;
    return -ETIMEDOUT;
}

int smmu_write_reg_sync(struct smmu_unit *su, uint32_t val, uint64_t reg, uint64_t ack)
{
    return write_reg_sync(su, val, reg, ack);
}

/* arm_smmu_update_gbpa (smmuv3.md §3.3): wait Update=0, write all fields with
 * Update=1, wait Update=0. */
static int update_gbpa(struct smmu_unit *su, uint32_t set, uint32_t clr)
{
    uint32_t reg = 0;
    int i;

    for (i = 0; i < POLL_LIMIT; i++) {
        reg = smmu_rd32(su, SMMU_R_GBPA);
        if (!(reg & GBPA_UPDATE))
            break;
    }
    if (i == POLL_LIMIT)
        return -ETIMEDOUT;
    smmu_wr32(su, SMMU_R_GBPA, ((reg & ~clr) | set) | GBPA_UPDATE);
    for (i = 0; i < POLL_LIMIT; i++)
        if (!(smmu_rd32(su, SMMU_R_GBPA) & GBPA_UPDATE))
            return 0;
    return -ETIMEDOUT;
}

/* ------------------------------------------------------------------------ */
/* Table memory. The SMMU ignores the low address bits of a queue / table
 * base (smmuv3.md §1.4, §3.7, §4.1, §5.1), so every table must be aligned
 * to its size: plat->table_alloc hands out naturally aligned blocks
 * (driver.h). Sizes below 4 KiB (small queues, a linear CD table) take a
 * whole page. */

uint64_t smmu_table_alloc(struct smmu_unit *su, uint64_t size)
{
    return su->u->plat->table_alloc(size < 4096 ? 4096 : size);
}

void smmu_table_free(struct smmu_unit *su, uint64_t gpa, uint64_t size)
{
    if (gpa)
        su->u->plat->table_free(gpa, size < 4096 ? 4096 : size);
}

/* ------------------------------------------------------------------------ */
/* Command queue (smmuv3.md §1.4, §7). */

static unsigned q_idx(struct smmu_unit *su, uint32_t p) { return p & ((1u << su->cmdq_shift) - 1); }

static uint32_t q_inc(struct smmu_unit *su, uint32_t p)
{
    return (p + 1) & ((2u << su->cmdq_shift) - 1);
}

static void q_write(struct smmu_unit *su, uint32_t p, uint64_t c0, uint64_t c1)
{
    uint64_t slot = su->cmdq + (uint64_t)q_idx(su, p) * 16;

    emu_mem_write64(su->u->mem, slot, c0);
    emu_mem_write64(su->u->mem, slot + 8, c1);
}

/* arm_smmu_gerror_handler (+ arm_smmu_cmdq_skip_err): the GERROR interrupt
 * handler, also run from the CMD_SYNC poll loop since the mock's cmdq waiter
 * cannot be interrupted. Active errors are GERROR ^ GERRORN (smmuv3.md
 * §3.5); each is reported with the kernel's text, an illegal command is
 * overwritten in place with a CMD_SYNC (an abort or ATC_INV sync error is
 * simply retried), Service Failure Mode disables the SMMU, then
 * GERRORN := GERROR acknowledges and the SMMU resumes from CONS (§7.2).
 * Errors outside GERROR_ERR_MASK are left alone (IRQ_NONE). Caller holds
 * su->lock. True if something was active. */
bool smmu_gerror_handle(struct smmu_unit *su)
{
    static const char *const cerror[] = { "No error", "Illegal command",
                                          "Abort on command fetch", "ATC invalidate timeout" };
    static const struct { uint32_t bit; const char *text; } msgs[] = {
        { GERROR_MSI_GERROR_ABT, "GERROR MSI write aborted" },
        { GERROR_MSI_PRIQ_ABT, "PRIQ MSI write aborted" },
        { GERROR_MSI_EVTQ_ABT, "EVTQ MSI write aborted" },
        { GERROR_MSI_CMDQ_ABT, "CMDQ MSI write aborted" },
        { GERROR_PRIQ_ABT, "PRIQ write aborted -- events may have been lost" },
        { GERROR_EVTQ_ABT, "EVTQ write aborted -- events may have been lost" },
    };
    uint32_t gerror = smmu_rd32(su, SMMU_R_GERROR), gerrorn = smmu_rd32(su, SMMU_R_GERRORN);
    uint32_t active = gerror ^ gerrorn;
    size_t i;

    if (!(active & GERROR_ERR_MASK))
        return false;
    smmu_log(su, false, "unexpected global error reported (0x%08x), this could be serious",
             active);
    if (active & GERROR_SFM_ERR) {
        smmu_log(su, false, "device has entered Service Failure Mode!");
        write_reg_sync(su, 0, SMMU_R_CR0, SMMU_R_CR0ACK);   /* arm_smmu_device_disable */
    }
    for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
        if (active & msgs[i].bit)
            smmu_log(su, false, "%s", msgs[i].text);
    if (active & GERROR_CMDQ_ERR) {
        uint32_t cons = smmu_rd32(su, SMMU_R_CMDQ_CONS), idx = CMDQ_CONS_ERR(cons);

        smmu_log(su, false, "CMDQ error (cons 0x%08x): %s", cons,
                 idx < sizeof(cerror) / sizeof(cerror[0]) ? cerror[idx] : "Unknown");
        if (idx == CMDQ_ERR_ABT)
            smmu_log(su, false, "retrying command fetch");
        if (idx != CMDQ_ERR_ABT && idx != 0 && idx != CMDQ_ERR_ATC_INV_SYNC) {
            uint64_t slot = su->cmdq + (uint64_t)q_idx(su, cons) * 16, cmd[2] = { 0, 0 };

            emu_mem_read64(su->u->mem, slot, &cmd[0]);
            emu_mem_read64(su->u->mem, slot + 8, &cmd[1]);
            smmu_log(su, false, "skipping command in error state:");
            smmu_log(su, false, "\t0x%016llx", (unsigned long long)cmd[0]);
            smmu_log(su, false, "\t0x%016llx", (unsigned long long)cmd[1]);
            q_write(su, cons, CMD_SYNC | CMD_SYNC_CS_SEV | CMD_SYNC_MSH_ISH |
                                  CMD_SYNC_MSIATTR_OIWB, 0);
        }
    }
    smmu_wr32(su, SMMU_R_GERRORN, gerror);
    return true;
}

/* Poll for the CMD_SYNC at index `sync`: its first word when MSI-polled,
 * else CMDQ_CONS passing it (__arm_smmu_cmdq_poll_until_msi / _consumed). */
static int poll_sync(struct smmu_unit *su, uint32_t sync)
{
    uint64_t slot = su->cmdq + (uint64_t)q_idx(su, sync) * 16;
    int i;

    for (i = 0; i < POLL_LIMIT; i++) {
        if (su->msipoll) {
            uint32_t w = 1;

            if (!emu_mem_read(su->u->mem, slot, &w, 4) && !w)
                return 0;
        } else {
            uint32_t cons = smmu_rd32(su, SMMU_R_CMDQ_CONS) & ((2u << su->cmdq_shift) - 1);

            /* consumed: CONS has moved past the SYNC, i.e. equals PROD */
            if (cons == su->cmdq_prod)
                return 0;
        }
        smmu_gerror_handle(su);
    }
    return -ETIMEDOUT;
}

int smmu_cmdq_issue(struct smmu_unit *su, const uint64_t (*cmds)[2], unsigned n)
{
    unsigned room = (1u << su->cmdq_shift) - 1, done = 0;

    if (su->broken)
        return -EIO;
    /* Each batch leaves the queue empty (it ends with a waited-for SYNC), so
     * a batch holds at most size - 1 commands plus its SYNC. */
    do {
        unsigned k = n - done < room ? n - done : room, i;
        uint64_t s0 = CMD_SYNC | CMD_SYNC_MSH_ISH | CMD_SYNC_MSIATTR_OIWB, s1 = 0;
        uint32_t sync;
        int rc;

        for (i = 0; i < k; i++) {
            q_write(su, su->cmdq_prod, cmds[done + i][0], cmds[done + i][1]);
            su->cmdq_prod = q_inc(su, su->cmdq_prod);
        }
        sync = su->cmdq_prod;
        if (su->msipoll) {
            /* MSIAddress = this SYNC's own slot; MSIData 0 (smmuv3.md §7.4) */
            s0 |= CMD_SYNC_CS_IRQ;
            s1 = (su->cmdq + (uint64_t)q_idx(su, sync) * 16) & 0x000ffffffffffffcull;
        } else {
            s0 |= CMD_SYNC_CS_SEV;
        }
        q_write(su, sync, s0, s1);
        su->cmdq_prod = q_inc(su, su->cmdq_prod);
        smmu_wr32(su, SMMU_R_CMDQ_PROD, su->cmdq_prod);
        rc = poll_sync(su, sync);
        if (rc)
            return rc;
        done += k;
    } while (done < n);
    return 0;
}

int smmu_cfgi_ste(struct smmu_unit *su, uint32_t sid)
{
    /* CFGI_STE: SID 63:32, Leaf (dw1 bit 0) as Linux arm_smmu_sync_ste_for_sid */
    uint64_t c[1][2] = { { CMD_CFGI_STE | ((uint64_t)sid << 32), 1 } };

    return smmu_cmdq_issue(su, c, 1);
}

int smmu_cfgi_cd(struct smmu_unit *su, uint32_t sid, uint32_t ssid)
{
    uint64_t c[1][2] = { { CMD_CFGI_CD | ((uint64_t)(ssid & 0xfffff) << 12) | ((uint64_t)sid << 32),
                           1 } };

    return smmu_cmdq_issue(su, c, 1);
}

static int log2_floor(uint64_t v)
{
    int r = -1;

    while (v) {
        v >>= 1;
        r++;
    }
    return r;
}

/* __arm_smmu_tlb_inv_range: TLBI_NH_VA (ASID) for stage 1, TLBI_S2_IPA
 * (VMID) for stage 2; range commands (NUM/SCALE/TG/TTL) with IDR3.RIL, one
 * command per granule otherwise (smmuv3.md §7.3). */
int smmu_tlb_inv_range(struct smmu_domain *sd, uint64_t iova, uint64_t size, uint64_t granule,
                       bool leaf)
{
    struct smmu_unit *su = sd->su;
    uint64_t end = iova + size, num_pages = 0, inv_range = granule, base0, base1;
    unsigned tg = 12, ttl = 0, cap = 256, n = 0;
    uint64_t (*cmds)[2];
    int rc;

    if (!size)
        return 0;
    /* without range invalidation, more than CMDQ_MAX_TLBI_OPS (512)
     * granules are cheaper as one context invalidation */
    if (!su->ril && size > 512 * granule)
        return smmu_tlb_inv_context(sd);
    if (sd->stage == SMMU_STAGE1)
        base0 = CMD_TLBI_NH_VA | ((uint64_t)sd->asid << 48);
    else
        base0 = CMD_TLBI_S2_IPA | ((uint64_t)sd->vmid << 32);
    base1 = leaf ? 1 : 0;
    if (su->ril) {
        num_pages = size >> tg;
        base1 |= (uint64_t)((tg - 10) / 2) << 10;          /* TG: 4 KiB = 1 */
        /* TTL: the level of the leaves (3 for 4 KiB, 2 for 2 MiB, 1 for 1 GiB) */
        if (leaf)
            ttl = 4 - (unsigned)((log2_floor(granule) - 3) / (int)(tg - 3));
        else if ((num_pages & 31) == 1)
            num_pages++;                    /* never NUM=0, SCALE=0, TTL=0 */
        base1 |= (uint64_t)ttl << 8;
    }
    cmds = malloc(cap * sizeof(*cmds));
    if (!cmds)
        return -ENOMEM;
    rc = 0;
    while (iova < end) {
        uint64_t c0 = base0, c1 = base1;

        if (su->ril) {
            unsigned scale;
            uint64_t num;

            if (!num_pages)
                break;
            /* each command covers 5 bits' worth of the remaining pages */
            scale = (unsigned)__builtin_ctzll(num_pages);
            num = (num_pages >> scale) & 31;
            c0 |= ((num - 1) & 31) << 12 | (uint64_t)scale << 20;
            inv_range = num << (scale + tg);
            num_pages -= num << scale;
        }
        c1 |= iova & (sd->stage == SMMU_STAGE1 ? ~0xfffull : ADDR_51_12);
        if (n == cap) {
            rc = smmu_cmdq_issue(su, (const uint64_t(*)[2])cmds, n);
            n = 0;
            if (rc)
                break;
        }
        cmds[n][0] = c0;
        cmds[n][1] = c1;
        n++;
        iova += inv_range;
    }
    if (!rc && n)
        rc = smmu_cmdq_issue(su, (const uint64_t(*)[2])cmds, n);
    free(cmds);
    /* a nesting parent's stage-2 change also invalidates the combined S1+S2
     * entries of guests built on it: Linux flushes the whole VMID */
    if (!rc && sd->stage == SMMU_STAGE2 && sd->nest_parent) {
        uint64_t c[1][2] = { { CMD_TLBI_S12_VMALL | ((uint64_t)sd->vmid << 32), 0 } };

        rc = smmu_cmdq_issue(su, c, 1);
    }
    return rc;
}

/* arm_smmu_tlb_inv_context: all of the domain's ASID / VMID. */
int smmu_tlb_inv_context(struct smmu_domain *sd)
{
    uint64_t c[1][2];

    if (sd->stage == SMMU_STAGE1)
        c[0][0] = CMD_TLBI_NH_ASID | ((uint64_t)sd->asid << 48);
    else
        c[0][0] = CMD_TLBI_S12_VMALL | ((uint64_t)sd->vmid << 32);
    c[0][1] = 0;
    return smmu_cmdq_issue(sd->su, c, 1);
}

/* ------------------------------------------------------------------------ */
/* Probe / remove. */

static unsigned oas_bits(unsigned enc)
{
    static const unsigned bits[8] = { 32, 36, 40, 42, 44, 48, 52, 48 };

    return bits[enc & 7];
}

/* arm_smmu_init_one_queue: 2^shift entries of `esz` bytes; Q_MAX_SZ_SHIFT
 * (4 KiB pages, MAX_PAGE_ORDER 10) caps the byte size at 4 MiB. */
static uint64_t queue_alloc(struct smmu_unit *su, unsigned *shift, unsigned esz_log2)
{
    unsigned max = 22 - esz_log2;
    uint64_t size;

    if (*shift > max)
        *shift = max;
    size = (1ull << *shift) << esz_log2;
    return smmu_table_alloc(su, size);
}

static void smmu_free_unit(struct smmu_unit *su)
{
    smmu_masters_free(su);
    smmu_strtab_free(su);
    if (su->cmdq) {
        uint64_t sz = (1ull << su->cmdq_shift) * 16;

        smmu_table_free(su, su->cmdq, sz);
    }
    if (su->evtq) {
        uint64_t sz = (1ull << su->evtq_shift) * 32;

        smmu_table_free(su, su->evtq, sz);
    }
    free(su->asid_map);
    free(su->vmid_map);
    pthread_mutex_destroy(&su->lock);
    free(su);
}

/* arm_smmu_device_hw_probe (smmuv3.md §2.7). */
static int hw_probe(struct smmu_unit *su)
{
    uint32_t idr0, idr1;
    unsigned i;

    for (i = 0; i < 6; i++)
        su->idr[i] = smmu_rd32(su, SMMU_R_IDR0 + 4 * i);
    su->iidr = smmu_rd32(su, SMMU_R_IIDR);
    su->aidr = smmu_rd32(su, SMMU_R_AIDR);
    idr0 = su->idr[0];
    idr1 = su->idr[1];
    su->s1 = idr0 & IDR0_S1P;
    su->s2 = idr0 & IDR0_S2P;
    if (!su->s1 && !su->s2)
        return -ENXIO;                      /* "no translation support!" */
    su->two_lvl_strtab = IDR0_ST_LVL(idr0) == 1;
    /* little-endian host: mixed or LE-only table endianness */
    if (IDR0_TTENDIAN(idr0) != 0 && IDR0_TTENDIAN(idr0) != 2)
        return -ENXIO;
    su->ats = idr0 & IDR0_ATS;
    su->sev = idr0 & IDR0_SEV;
    su->msi = idr0 & IDR0_MSI;
    su->hyp = idr0 & IDR0_HYP;
    su->cd2l = idr0 & IDR0_CD2L;
    su->asid_bits = (idr0 & IDR0_ASID16) ? 16 : 8;
    su->vmid_bits = (idr0 & IDR0_VMID16) ? 16 : 8;
    if (!(IDR0_TTF(idr0) & 2))
        return -ENXIO;                      /* "AArch64 table format not supported!" */
    su->coherent = idr0 & IDR0_COHACC;
    /* arm_smmu_get_httu: 2 -> HA|HD, 1 -> HA, no case for 3 */
    switch (IDR0_HTTU(idr0)) {
    case 2:
        su->hd = true;
        /* fall through */
    case 1:
        su->ha = true;
        break;
    default:
        break;
    }
    su->msipoll = su->msi && su->coherent;
    if (idr1 & IDR1_PRESETS)
        return -ENXIO;                      /* "embedded implementation not supported" */
    su->cmdq_shift = IDR1_CMDQS(idr1);
    su->evtq_shift = IDR1_EVTQS(idr1);
    /* the lock-free cmdq needs more than BITS_PER_LONG entries */
    if (su->cmdq_shift > 18)
        su->cmdq_shift = 18;
    if (su->cmdq_shift <= 6)
        return -ENXIO;
    su->sid_bits = IDR1_SIDSIZE(idr1);
    su->ssid_bits = IDR1_SSIDSIZE(idr1);
    if (su->sid_bits <= STRTAB_SPLIT)
        su->two_lvl_strtab = false;
    su->ril = su->idr[3] & IDR3_RIL;
    /* only the 4 KiB granule is implemented by this driver's tables */
    if (!(su->idr[5] & IDR5_GRAN4K))
        return -ENODEV;
    su->oas = oas_bits(IDR5_OAS(su->idr[5]));
    if (su->oas > 48)
        su->oas = 48;                       /* 4 KiB granule without LPA2: 48 bits */
    return 0;
}

/* arm_smmu_device_reset (smmuv3.md §3). */
static int device_reset(struct smmu_unit *su)
{
    uint32_t enables;
    int rc;

    if (smmu_rd32(su, SMMU_R_CR0) & CR0_SMMUEN) {
        /* "SMMU currently enabled! Resetting...": abort incoming traffic */
        if ((rc = update_gbpa(su, GBPA_ABORT, 0)))
            return rc;
    }
    if ((rc = write_reg_sync(su, 0, SMMU_R_CR0, SMMU_R_CR0ACK)))
        return rc;
    smmu_wr32(su, SMMU_R_CR1, CR1_LINUX);
    smmu_wr32(su, SMMU_R_CR2, CR2_PTM | CR2_RECINVSID);
    /* stream table (arm_smmu_write_strtab) */
    smmu_wr64(su, SMMU_R_STRTAB_BASE, (1ull << 62) | (su->strtab & ADDR_51_6));
    if (su->two_lvl_strtab)
        smmu_wr32(su, SMMU_R_STRTAB_BASE_CFG,
                  STRTAB_FMT_2LVL | (STRTAB_SPLIT << 6) |
                      (unsigned)(log2_floor(su->l1_ents) + STRTAB_SPLIT));
    else
        smmu_wr32(su, SMMU_R_STRTAB_BASE_CFG, su->sid_bits);
    /* command queue: RWA | ADDR | LOG2SIZE, PROD = CONS = 0 */
    smmu_wr64(su, SMMU_R_CMDQ_BASE, (1ull << 62) | (su->cmdq & 0x000fffffffffffe0ull) |
                                        su->cmdq_shift);
    smmu_wr32(su, SMMU_R_CMDQ_PROD, 0);
    smmu_wr32(su, SMMU_R_CMDQ_CONS, 0);
    su->cmdq_prod = 0;
    enables = CR0_CMDQEN;
    if ((rc = write_reg_sync(su, enables, SMMU_R_CR0, SMMU_R_CR0ACK)))
        return rc;
    {
        /* CFGI_ALL (CFGI_STE_RANGE, Range 31), then TLBI */
        uint64_t cfgi[1][2] = { { CMD_CFGI_STE_RANGE, 31 } };
        uint64_t el2[1][2] = { { CMD_TLBI_EL2_ALL, 0 } };
        uint64_t nsnh[1][2] = { { CMD_TLBI_NSNH_ALL, 0 } };

        if ((rc = smmu_cmdq_issue(su, cfgi, 1)))
            return rc;
        if (su->hyp && (rc = smmu_cmdq_issue(su, el2, 1)))
            return rc;
        if ((rc = smmu_cmdq_issue(su, nsnh, 1)))
            return rc;
    }
    /* event queue: PROD / CONS in page 1 */
    smmu_wr64(su, SMMU_R_EVTQ_BASE, (1ull << 62) | (su->evtq & 0x000fffffffffffe0ull) |
                                        su->evtq_shift);
    smmu_wr32(su, SMMU_R_EVTQ_PROD, 0);
    smmu_wr32(su, SMMU_R_EVTQ_CONS, 0);
    enables |= CR0_EVTQEN;
    if ((rc = write_reg_sync(su, enables, SMMU_R_CR0, SMMU_R_CR0ACK)))
        return rc;
    if (su->ats) {
        enables |= CR0_ATSCHK;
        if ((rc = write_reg_sync(su, enables, SMMU_R_CR0, SMMU_R_CR0ACK)))
            return rc;
    }
    /* arm_smmu_setup_irqs: IRQ_CTRL off, the MSIs, then EVTQ|GERROR on */
    if ((rc = smmu_setup_irqs(su)))
        return rc;
    enables |= CR0_SMMUEN;
    return write_reg_sync(su, enables, SMMU_R_CR0, SMMU_R_CR0ACK);
}

static int smmu_probe(struct mfd_iommu_unit *u)
{
    struct smmu_unit *su = calloc(1, sizeof(*su));
    int rc;

    if (!su)
        return -ENOMEM;
    su->u = u;
    pthread_mutex_init(&su->lock, NULL);
    if ((rc = hw_probe(su)))
        goto fail;
    su->asid_map = calloc((1u << su->asid_bits) / 8, 1);
    su->vmid_map = calloc((1u << su->vmid_bits) / 8, 1);
    if (!su->asid_map || !su->vmid_map) {
        rc = -ENOMEM;
        goto fail;
    }
    su->cmdq = queue_alloc(su, &su->cmdq_shift, 4);
    su->evtq = queue_alloc(su, &su->evtq_shift, 5);
    if (!su->cmdq || !su->evtq) {
        rc = -ENOMEM;
        goto fail;
    }
    if ((rc = smmu_strtab_init(su)))
        goto fail;
    {
        /* the platform device's instance number (arm-smmu-v3.N.auto) */
        static unsigned next_dev;

        su->dev_index = __atomic_fetch_add(&next_dev, 1, __ATOMIC_RELAXED);
    }
    if ((rc = device_reset(su)))
        goto fail;
    u->priv = su;
    return 0;
fail:
    smmu_free_unit(su);
    return rc;
}

static void smmu_remove(struct mfd_iommu_unit *u)
{
    struct smmu_unit *su = u->priv;

    if (!su)
        return;
    /* arm_smmu_device_shutdown -> arm_smmu_device_disable */
    write_reg_sync(su, 0, SMMU_R_CR0, SMMU_R_CR0ACK);
    smmu_free_unit(su);
    u->priv = NULL;
}

/* ------------------------------------------------------------------------ */
/* Driver entry points. */

static int smmu_hw_info(struct mfd_iommu_unit *u, uint32_t rid, uint32_t *type, void *buf,
                        uint32_t *len)
{
    struct smmu_unit *su = u->priv;
    struct iommu_hw_info_arm_smmuv3 info;
    unsigned i;

    (void)rid;
    if (*type != IOMMU_HW_INFO_TYPE_DEFAULT && *type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
        return -EOPNOTSUPP;
    /* arm_smmu_hw_info: raw readl of IDR0..5, IIDR, AIDR; nothing masked;
     * flags 0 (no REPEAT_TLBI_CFGI erratum on the modelled parts) */
    memset(&info, 0, sizeof(info));
    for (i = 0; i < 6; i++)
        info.idr[i] = smmu_rd32(su, SMMU_R_IDR0 + 4 * i);
    info.iidr = smmu_rd32(su, SMMU_R_IIDR);
    info.aidr = smmu_rd32(su, SMMU_R_AIDR);
    memcpy(buf, &info, sizeof(info));
    *len = sizeof(info);
    *type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
    return 0;
}

/* arm_smmu_dbm_capable: FEAT_HD && FEAT_COHERENCY (smmuv3.md §9.1) */
static bool dbm_capable(const struct smmu_unit *su)
{
    return su->hd && su->coherent;
}

static bool smmu_capable(struct mfd_iommu_unit *u, uint32_t rid, enum mfd_iommu_cap cap)
{
    struct smmu_unit *su = u->priv;

    (void)rid;
    switch (cap) {
    case MFD_CAP_CACHE_COHERENCY:
        return su->coherent;                /* FEAT_COHERENCY */
    case MFD_CAP_DIRTY_TRACKING:
        return dbm_capable(su);
    case MFD_CAP_ENFORCE_CACHE_COHERENCY:
        return false;                       /* needs firmware CANWBS, absent */
    case MFD_CAP_PCI_ATS_SUPPORTED:
        return su->ats;
    }
    return false;
}

static unsigned smmu_max_pasid_log2(struct mfd_iommu_unit *u, uint32_t rid)
{
    (void)rid;
    /* master->ssid_bits = min(smmu->ssid_bits, device PASID width); the
     * platform's devices are PASID-capable to 20 bits */
    return ((struct smmu_unit *)u->priv)->ssid_bits;
}

static int smmu_resv_regions(struct mfd_iommu_unit *u, uint32_t rid, struct mfd_resv_region *r)
{
    (void)u, (void)rid;
    /* arm_smmu_get_resv_regions: the software MSI window (IOMMU_RESV_SW_MSI),
     * which iommufd reserves in the IOAS */
    r[0].start = SMMU_MSI_IOVA_BASE;
    r[0].last = SMMU_MSI_IOVA_BASE + SMMU_MSI_IOVA_LEN - 1;
    r[0].msi = true;
    return 1;
}

static int id_alloc(uint8_t *map, unsigned bits)
{
    unsigned i;

    /* ASID / VMID 0 are reserved (bypass / kernel use) in Linux */
    for (i = 1; i < (1u << bits); i++) {
        if (!(map[i / 8] & (1u << (i % 8)))) {
            map[i / 8] |= (uint8_t)(1u << (i % 8));
            return (int)i;
        }
    }
    return -ENOSPC;
}

void smmu_id_free(struct smmu_unit *su, struct smmu_domain *sd)
{
    pthread_mutex_lock(&su->lock);
    if (sd->stage == SMMU_STAGE1)
        su->asid_map[sd->asid / 8] &= (uint8_t)~(1u << (sd->asid % 8));
    else
        su->vmid_map[sd->vmid / 8] &= (uint8_t)~(1u << (sd->vmid % 8));
    pthread_mutex_unlock(&su->lock);
}

/* arm_smmu_domain_alloc_paging_flags + arm_smmu_domain_finalise. */
static int smmu_domain_alloc_paging(struct mfd_iommu_unit *u, uint32_t rid, uint32_t flags,
                                    uint32_t data_type, uint64_t data_uptr, uint32_t data_len,
                                    struct mfd_domain **out)
{
    struct smmu_unit *su = u->priv;
    struct smmu_domain *sd;
    enum smmu_stage stage;
    bool nest_parent = false;
    int id, rc;

    (void)rid, (void)data_type, (void)data_uptr;
    if (flags & ~(IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID |
                  IOMMU_HWPT_ALLOC_NEST_PARENT))
        return -EOPNOTSUPP;
    if (data_len)
        return -EOPNOTSUPP;
    switch (flags) {
    case 0:
    case IOMMU_HWPT_ALLOC_PASID:
        /* prefer stage 1 when implemented */
        stage = su->s1 ? SMMU_STAGE1 : SMMU_STAGE2;
        break;
    case IOMMU_HWPT_ALLOC_NEST_PARENT:
        /* FEAT_NESTING = S1 && S2 */
        if (!(su->s1 && su->s2))
            return -EOPNOTSUPP;
        stage = SMMU_STAGE2;
        nest_parent = true;
        break;
    case IOMMU_HWPT_ALLOC_DIRTY_TRACKING:
    case IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID:
        if (!su->s1)
            return -EOPNOTSUPP;
        stage = SMMU_STAGE1;
        break;
    default:
        return -EOPNOTSUPP;
    }
    /* arm_smmu_domain_finalise: dirty tracking only where dbm_capable */
    if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !dbm_capable(su))
        return -EOPNOTSUPP;
    sd = calloc(1, sizeof(*sd));
    if (!sd)
        return -ENOMEM;
    sd->su = su;
    sd->stage = stage;
    sd->nest_parent = nest_parent;
    sd->dirty = !!(flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    if (stage == SMMU_STAGE1) {
        /* ias = min(48, VA_BITS); oas = smmu->ias */
        sd->ias = 48;
        sd->oas = su->oas < 40 && (IDR0_TTF(su->idr[0]) & 1) ? 40 : su->oas;
    } else {
        sd->ias = su->oas < 40 && (IDR0_TTF(su->idr[0]) & 1) ? 40 : su->oas;
        sd->oas = su->oas;
    }
    if (sd->oas > 48)
        sd->oas = 48;
    pthread_mutex_lock(&su->lock);
    if (stage == SMMU_STAGE1)
        id = id_alloc(su->asid_map, su->asid_bits);
    else
        id = id_alloc(su->vmid_map, su->vmid_bits);
    pthread_mutex_unlock(&su->lock);
    if (id < 0) {
        free(sd);
        return id;
    }
    if (stage == SMMU_STAGE1)
        sd->asid = (uint16_t)id;
    else
        sd->vmid = (uint16_t)id;
    rc = smmu_pgtable_init(sd);
    if (rc) {
        smmu_id_free(su, sd);
        free(sd);
        return rc;
    }
    sd->dom.ops = sd->dirty ? &smmu_domain_dirty_ops : &smmu_domain_ops;
    /* prot_to_pte maps writable stage-1 leaves writable-dirty (§9.2) */
    sd->dom.dirty_on_map = sd->dirty && stage == SMMU_STAGE1;
    sd->dom.aperture_start = 0;
    sd->dom.aperture_end = (1ull << sd->ias) - 1;
    /* IDR5.GRAN4K -> 4K | 2M | 1G, restricted to the 4 KiB granule */
    sd->dom.pgsize_bitmap = 4096ull | (2ull << 20) | (1ull << 30);
    sd->dom.priv = sd;
    *out = &sd->dom;
    return 0;
}

static int smmu_attach_dev(struct mfd_iommu_unit *u, struct mfd_domain *d, uint32_t rid,
                           uint32_t pasid)
{
    struct smmu_unit *su = u->priv;
    struct smmu_domain *sd = to_smmu(d);
    int rc;

    /* a domain's tables, ASID/VMID belong to one SMMU */
    if (sd->su != su)
        return -EINVAL;
    /* arm_smmu_probe_device: a StreamID the stream table cannot hold */
    if (su->sid_bits < 32 && rid >= (1u << su->sid_bits))
        return -ERANGE;
    /* PASID (SSID != 0) attach is not implemented by this driver */
    if (pasid)
        return -EOPNOTSUPP;
    pthread_mutex_lock(&su->lock);
    rc = smmu_attach(su, sd, rid);
    pthread_mutex_unlock(&su->lock);
    return rc;
}

static void smmu_detach_dev(struct mfd_iommu_unit *u, uint32_t rid, uint32_t pasid)
{
    struct smmu_unit *su = u->priv;

    if (pasid)
        return;
    pthread_mutex_lock(&su->lock);
    smmu_detach(su, rid);
    pthread_mutex_unlock(&su->lock);
}

/* iommu_iotlb_sync after a dirty harvest: invalidate the range the harvest
 * gathered. Upstream's arm_smmu_iotlb_sync returns early because the dirty
 * gather never sets pgsize (docs/driver-smmuv3.md "Differences"); this
 * driver issues the TLBI so that writes after a clear are seen again. */
static void smmu_iotlb_sync(struct mfd_domain *d)
{
    struct smmu_domain *sd = to_smmu(d);
    struct smmu_unit *su = sd->su;

    pthread_mutex_lock(&su->lock);
    if (sd->gather_valid) {
        smmu_tlb_inv_range(sd, sd->gather_start, sd->gather_end - sd->gather_start + 1, 4096,
                           true);
        sd->gather_valid = false;
    }
    pthread_mutex_unlock(&su->lock);
}

const struct mfd_iommu_driver mfd_smmuv3_driver = {
    .name = "arm-smmu-v3",
    .model = EMU_SMMUV3,
    .probe = smmu_probe,
    .remove = smmu_remove,
    .hw_info = smmu_hw_info,
    .capable = smmu_capable,
    .max_pasid_log2 = smmu_max_pasid_log2,
    .resv_regions = smmu_resv_regions,
    .domain_alloc_paging = smmu_domain_alloc_paging,
    .attach_dev = smmu_attach_dev,
    .detach_dev = smmu_detach_dev,
    .iotlb_sync = smmu_iotlb_sync,
    .irq = smmu_irq_thread,
};

/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 stream table, CD tables and attach (the roles of Linux
 * arm-smmu-v3.c arm_smmu_init_strtab*, arm_smmu_init_l2_strtab,
 * arm_smmu_alloc_cd_tables / arm_smmu_get_cd_ptr, arm_smmu_make_*_ste,
 * arm_smmu_make_s1_cd, arm_smmu_write_entry). Facts: smmuv3.md §3.7, §4, §5.
 *
 * Stream table: 2-level with SPLIT 8 (256 STEs = 16 KiB per L2, L1 span 9)
 * when IDR0.ST_LEVEL allows and SIDSIZE > 8, else linear; every STE starts
 * as an abort STE (V=1, Config=000: disable_bypass). CD table per master,
 * S1CDMax = the master's SSID bits; 2-level 64 KiB leaves (S1Fmt=10) when
 * IDR0.CD2L and more than 1024 contexts, else linear.
 *
 * Entry updates follow the shape of arm_smmu_write_entry: an entry the SMMU
 * does not use (STE abort / V=0, CD V=0) gets its other qwords first and
 * qword 0 last; going to abort writes qword 0 first; anything else breaks
 * before make (V=0, sync, other qwords, sync, qword 0). Every step ends with
 * CFGI_STE / CFGI_CD + CMD_SYNC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smmuv3_priv.h"

#define STE_SIZE 64ull
#define CD_SIZE  64ull

static struct emu_mem *mem(struct smmu_unit *su) { return su->u->mem; }

static void abort_stes(struct smmu_unit *su, uint64_t gpa, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++)
        emu_mem_write64(mem(su), gpa + i * STE_SIZE, STE_0_V | STE_0_CFG_ABORT);
}

/* arm_smmu_init_strtab_2lvl / _linear */
int smmu_strtab_init(struct smmu_unit *su)
{

    if (su->two_lvl_strtab) {
        unsigned l1_bits = su->sid_bits - STRTAB_SPLIT;

        if (l1_bits > STRTAB_L1_MAX_SHIFT)
            l1_bits = STRTAB_L1_MAX_SHIFT;  /* "only covers %u/%u bits of SID" */
        su->l1_ents = 1u << l1_bits;
        su->strtab_size = su->l1_ents * 8ull < 4096 ? 4096 : su->l1_ents * 8ull;
        su->l2 = calloc(su->l1_ents, sizeof(*su->l2));
        if (!su->l2)
            return -ENOMEM;
    } else {
        if (su->sid_bits > 26)
            return -ENOMEM;                 /* dmam_alloc_coherent would fail */
        su->strtab_size = (1ull << su->sid_bits) * STE_SIZE;
        if (su->strtab_size < 4096)
            su->strtab_size = 4096;
    }
    su->strtab = smmu_table_alloc(su, su->strtab_size);
    if (!su->strtab)
        return -ENOMEM;
    if (!su->two_lvl_strtab)
        abort_stes(su, su->strtab, 1u << su->sid_bits);
    return 0;
}

/* A linear or 2-level table (stream table, CD table; smmuv3.md §4, §5):
 * every L2 table the host array records, the array, then the L1 / linear
 * table itself. */
static void table_2lvl_free(struct smmu_unit *su, uint64_t *l1, uint64_t l1_size,
                            uint64_t **l2, unsigned l1_ents, uint64_t l2_size)
{
    if (*l2) {
        for (unsigned i = 0; i < l1_ents; i++)
            if ((*l2)[i])
                smmu_table_free(su, (*l2)[i], l2_size);
        free(*l2);
        *l2 = NULL;
    }
    if (*l1)
        smmu_table_free(su, *l1, l1_size);
    *l1 = 0;
}

void smmu_strtab_free(struct smmu_unit *su)
{
    table_2lvl_free(su, &su->strtab, su->strtab_size, &su->l2, su->l1_ents,
                    (1u << STRTAB_SPLIT) * STE_SIZE);
}

/* arm_smmu_init_l2_strtab: the L2 table of sid, abort STEs, then the L1
 * descriptor Span=SPLIT+1 | L2Ptr. */
int smmu_ste_prepare(struct smmu_unit *su, uint32_t sid)
{
    uint32_t idx;
    uint64_t l2;

    if (!su->two_lvl_strtab)
        return su->sid_bits < 32 && sid >= (1u << su->sid_bits) ? -ERANGE : 0;
    idx = sid >> STRTAB_SPLIT;
    if (idx >= su->l1_ents)
        return -ERANGE;
    if (su->l2[idx])
        return 0;
    l2 = smmu_table_alloc(su, (1u << STRTAB_SPLIT) * STE_SIZE);
    if (!l2)
        return -ENOMEM;
    abort_stes(su, l2, 1u << STRTAB_SPLIT);
    emu_mem_write64(mem(su), su->strtab + idx * 8ull, (STRTAB_SPLIT + 1) | (l2 & ADDR_51_6));
    su->l2[idx] = l2;
    return 0;
}

static uint64_t ste_gpa(struct smmu_unit *su, uint32_t sid)
{
    if (!su->two_lvl_strtab)
        return su->strtab + sid * STE_SIZE;
    return su->l2[sid >> STRTAB_SPLIT] + (sid & ((1u << STRTAB_SPLIT) - 1)) * STE_SIZE;
}

/* ------------------------------------------------------------------------ */
/* The entry writer. */

enum entry_kind { ENT_STE, ENT_CD };

static bool entry_in_use(enum entry_kind k, uint64_t q0)
{
    if (k == ENT_STE)
        return (q0 & STE_0_V) && ((q0 >> 1) & 7) != 0;   /* abort STE uses only V/Config */
    return q0 & CD_0_V;
}

static int entry_sync(struct smmu_unit *su, enum entry_kind k, uint32_t sid)
{
    return k == ENT_STE ? smmu_cfgi_ste(su, sid) : smmu_cfgi_cd(su, sid, 0);
}

static int write_entry(struct smmu_unit *su, enum entry_kind k, uint64_t gpa, uint32_t sid,
                       const uint64_t nw[8])
{
    uint64_t cur[8];
    bool rest_differs = false;
    unsigned i;
    int rc;

    if (emu_mem_read(mem(su), gpa, cur, sizeof(cur)))
        return -EFAULT;
    if (!memcmp(cur, nw, sizeof(cur)))
        return 0;
    for (i = 1; i < 8; i++)
        rest_differs |= cur[i] != nw[i];
    if (!entry_in_use(k, cur[0]) || !rest_differs) {
        /* hitless: the other qwords are unused now; qword 0 switches */
        for (i = 1; i < 8; i++)
            emu_mem_write64(mem(su), gpa + 8 * i, nw[i]);
        if (rest_differs && (rc = entry_sync(su, k, sid)))
            return rc;
        emu_mem_write64(mem(su), gpa, nw[0]);
        return entry_sync(su, k, sid);
    }
    if (!entry_in_use(k, nw[0])) {
        /* to abort / invalid: qword 0 first, then clean up */
        emu_mem_write64(mem(su), gpa, nw[0]);
        if ((rc = entry_sync(su, k, sid)))
            return rc;
        for (i = 1; i < 8; i++)
            emu_mem_write64(mem(su), gpa + 8 * i, nw[i]);
        return entry_sync(su, k, sid);
    }
    /* break before make */
    emu_mem_write64(mem(su), gpa, k == ENT_STE ? cur[0] & ~STE_0_V : cur[0] & ~CD_0_V);
    if ((rc = entry_sync(su, k, sid)))
        return rc;
    for (i = 1; i < 8; i++)
        emu_mem_write64(mem(su), gpa + 8 * i, nw[i]);
    if ((rc = entry_sync(su, k, sid)))
        return rc;
    emu_mem_write64(mem(su), gpa, nw[0]);
    return entry_sync(su, k, sid);
}

/* ------------------------------------------------------------------------ */
/* Masters and their CD tables. */

static struct smmu_master *find_master(struct smmu_unit *su, uint32_t sid)
{
    unsigned i;

    for (i = 0; i < su->nmasters; i++)
        if (su->masters[i].sid == sid)
            return &su->masters[i];
    return NULL;
}

bool smmu_sid_has_master(struct smmu_unit *su, uint32_t sid)
{
    return find_master(su, sid) != NULL;
}

static struct smmu_master *get_master(struct smmu_unit *su, uint32_t sid)
{
    struct smmu_master *m = find_master(su, sid);

    if (m)
        return m;
    if (su->nmasters == su->masters_cap) {
        unsigned ncap = su->masters_cap ? su->masters_cap * 2 : 8;
        struct smmu_master *nm = realloc(su->masters, ncap * sizeof(*nm));

        if (!nm)
            return NULL;
        su->masters = nm;
        su->masters_cap = ncap;
    }
    m = &su->masters[su->nmasters++];
    memset(m, 0, sizeof(*m));
    m->sid = sid;
    return m;
}

/* arm_smmu_alloc_cd_tables */
static int cd_tables_alloc(struct smmu_unit *su, struct smmu_master *m)
{
    uint64_t max_contexts = 1ull << su->ssid_bits;

    if (m->cd_l1)
        return 0;
    if (!su->cd2l || max_contexts <= (1u << CTXDESC_SPLIT)) {
        m->cd_2lvl = false;
        m->cd_l1_ents = (unsigned)max_contexts;
        m->cd_l1_size = max_contexts * CD_SIZE;
    } else {
        m->cd_2lvl = true;
        m->cd_l1_ents = (unsigned)((max_contexts + (1u << CTXDESC_SPLIT) - 1) >> CTXDESC_SPLIT);
        m->cd_l1_size = m->cd_l1_ents * 8ull;
        m->cd_l2 = calloc(m->cd_l1_ents, sizeof(*m->cd_l2));
        if (!m->cd_l2)
            return -ENOMEM;
    }
    if (m->cd_l1_size < 4096)
        m->cd_l1_size = 4096;
    m->cd_l1 = smmu_table_alloc(su, m->cd_l1_size);
    if (!m->cd_l1) {
        free(m->cd_l2);
        m->cd_l2 = NULL;
        return -ENOMEM;
    }
    return 0;
}

static void cd_tables_free(struct smmu_unit *su, struct smmu_master *m)
{
    table_2lvl_free(su, &m->cd_l1, m->cd_l1_size, &m->cd_l2, m->cd_l1_ents,
                    (1u << CTXDESC_SPLIT) * CD_SIZE);
}

/* arm_smmu_get_cd_ptr(master, ssid) with allocation: 0 on failure. */
static uint64_t cd_ptr(struct smmu_unit *su, struct smmu_master *m, uint32_t ssid)
{
    uint32_t idx;

    if (!m->cd_2lvl)
        return m->cd_l1 + ssid * CD_SIZE;
    idx = ssid >> CTXDESC_SPLIT;
    if (!m->cd_l2[idx]) {
        uint64_t l2 = smmu_table_alloc(su, (1u << CTXDESC_SPLIT) * CD_SIZE);

        if (!l2)
            return 0;
        m->cd_l2[idx] = l2;
        emu_mem_write64(mem(su), m->cd_l1 + idx * 8ull, (l2 & ADDR_51_12) | CTXDESC_L1_V);
        /* an invalid L1CD may be cached: CFGI_CD (non-leaf) for the SSID */
        {
            uint64_t c[1][2] = { { CMD_CFGI_CD | ((uint64_t)(ssid & 0xfffff) << 12) |
                                       ((uint64_t)m->sid << 32), 0 } };

            smmu_cmdq_issue(su, c, 1);
        }
    }
    return m->cd_l2[idx] + (ssid & ((1u << CTXDESC_SPLIT) - 1)) * CD_SIZE;
}

/* ------------------------------------------------------------------------ */
/* STE / CD contents. */

static void make_abort_ste(uint64_t ste[8])
{
    memset(ste, 0, 64);
    ste[0] = STE_0_V | STE_0_CFG_ABORT;
}

/* arm_smmu_make_cdtable_ste: S1 through the master's CD table, non-SSID
 * traffic uses CD 0 (S1DSS=SSID0). */
static void make_cdtable_ste(struct smmu_unit *su, struct smmu_master *m, uint64_t ste[8])
{
    memset(ste, 0, 64);
    ste[0] = STE_0_V | STE_0_CFG_S1 | (m->cd_2lvl ? STE_0_S1FMT_64K_L2 : 0) |
             (m->cd_l1 & ADDR_51_6) | ((uint64_t)su->ssid_bits << STE_0_S1CDMAX_SHIFT);
    ste[1] = STE_1_S1DSS_SSID0 | (STE_1_S1C_WBRA << 2) | (STE_1_S1C_WBRA << 4) | STE_1_S1CSH_ISH;
    /* FEAT_STALLS (STALL_MODEL 00) without a stall-capable master: S1STALLD */
    if (IDR0_STALL(su->idr[0]) == 0)
        ste[1] |= 1ull << 27;
}

/* arm_smmu_make_s2_domain_ste */
static void make_s2_ste(struct smmu_unit *su, struct smmu_domain *sd, uint64_t ste[8])
{
    memset(ste, 0, 64);
    ste[0] = STE_0_V | STE_0_CFG_S2;
    if (su->idr[1] & (1u << 27))            /* ATTR_TYPES_OVR: SHCFG incoming */
        ste[1] |= 1ull << 44;
    ste[2] = sd->vmid | (smmu_s2_vtcr(sd) << STE_2_VTCR_SHIFT) | STE_2_S2AA64 | STE_2_S2PTW |
             (IDR0_STALL(su->idr[0]) == 2 ? 1ull << 57 : 0) | STE_2_S2R;
    ste[3] = sd->pgd & ADDR_51_4;
}

/* arm_smmu_make_s1_cd (smmuv3.md §5.2) */
static void make_s1_cd(struct smmu_unit *su, struct smmu_domain *sd, uint64_t cd[8])
{
    /* io-pgtable TCR: coherent walks are WBWA / inner shareable */
    uint64_t rgn = su->coherent ? 1 : 0, sh = su->coherent ? 3 : 2;

    memset(cd, 0, 64);
    cd[0] = (64 - sd->ias) | (0ull << 6) | (rgn << 8) | (rgn << 10) | (sh << 12) | CD_0_EPD1 |
            CD_0_V | ((uint64_t)smmu_ips_of(sd->oas) << CD_0_IPS_SHIFT) | CD_0_AA64 |
            (IDR0_STALL(su->idr[0]) == 2 ? 1ull << 44 : 0) | CD_0_R | CD_0_A | CD_0_ASET |
            ((uint64_t)sd->asid << CD_0_ASID_SHIFT);
    /* IO_PGTABLE_QUIRK_ARM_HD: both the Access flag and dirty state updates */
    if (sd->dirty)
        cd[0] |= CD_0_HA | CD_0_HD;
    cd[1] = sd->pgd & ADDR_51_4;
    cd[3] = MAIR_LINUX;
}

/* ------------------------------------------------------------------------ */
/* Attach / detach (caller holds su->lock). */

static int clear_cd0(struct smmu_unit *su, struct smmu_master *m)
{
    uint64_t zero[8] = { 0 }, gpa;

    if (!m->cd_l1)
        return 0;
    if (m->cd_2lvl && !m->cd_l2[0])
        return 0;
    gpa = cd_ptr(su, m, 0);
    return gpa ? write_entry(su, ENT_CD, gpa, m->sid, zero) : 0;
}

int smmu_attach(struct smmu_unit *su, struct smmu_domain *sd, uint32_t sid)
{
    struct smmu_master *m;
    uint64_t ste[8];
    int rc;

    if ((rc = smmu_ste_prepare(su, sid)))
        return rc;
    m = get_master(su, sid);
    if (!m)
        return -ENOMEM;
    if (m->dom == sd)
        return 0;
    if (sd->stage == SMMU_STAGE1) {
        uint64_t cd[8], gpa;

        if ((rc = cd_tables_alloc(su, m)))
            return rc;
        gpa = cd_ptr(su, m, 0);
        if (!gpa)
            return -ENOMEM;
        make_s1_cd(su, sd, cd);
        /* the CD first, then the STE that points at the table */
        if ((rc = write_entry(su, ENT_CD, gpa, sid, cd)))
            return rc;
        make_cdtable_ste(su, m, ste);
        if ((rc = write_entry(su, ENT_STE, ste_gpa(su, sid), sid, ste)))
            return rc;
    } else {
        make_s2_ste(su, sd, ste);
        if ((rc = write_entry(su, ENT_STE, ste_gpa(su, sid), sid, ste)))
            return rc;
        /* the STE no longer uses the CD table: drop CD 0 */
        if ((rc = clear_cd0(su, m)))
            return rc;
    }
    m->dom = sd;
    return 0;
}

void smmu_detach(struct smmu_unit *su, uint32_t sid)
{
    struct smmu_master *m = find_master(su, sid);
    uint64_t ste[8];

    if (!m || !m->dom)
        return;
    /* the blocked domain: abort STE, then CD 0 cleared */
    make_abort_ste(ste);
    write_entry(su, ENT_STE, ste_gpa(su, sid), sid, ste);
    clear_cd0(su, m);
    m->dom = NULL;
}

bool smmu_domain_in_use(struct smmu_unit *su, struct smmu_domain *sd)
{
    unsigned i;

    for (i = 0; i < su->nmasters; i++)
        if (su->masters[i].dom == sd)
            return true;
    return false;
}

void smmu_masters_free(struct smmu_unit *su)
{
    unsigned i;

    for (i = 0; i < su->nmasters; i++)
        cd_tables_free(su, &su->masters[i]);
    free(su->masters);
    su->masters = NULL;
    su->nmasters = su->masters_cap = 0;
}

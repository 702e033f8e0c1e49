/*
 * members.h -- who belongs to the mesh, computed from membership
 * certificates (REC_MEMBER edits). A pure function of the certificates:
 * the repo collects them from its store (repo_members).
 *
 * The mesh id is the founder's node id; the founder is always an admin.
 * Certificate edits are applied in edit order (clock, author, id); an edit
 * counts only when its author is the founder or an admin not revoked at
 * that point. The same store therefore yields the same member list on
 * every node.
 *
 * A revocation is a certificate edit with revoked = true; it takes effect
 * at its own clock, or earlier when it carries revoked_at (milliseconds,
 * for a laptop known to be lost since then). Edits a member signed before
 * that point keep counting; later ones do not (members_role_at). When the
 * revocation also carries known_until (the hlc of the member's newest edit
 * the revoking admin held), its edits dated after that do not count either:
 * a revoked node whose clock is behind cannot go on writing "before" its
 * revocation. Each member's CURVE public key is derived here too, so the
 * transport can map a connecting key back to a node id.
 */
#ifndef BUURT_MEMBERS_H
#define BUURT_MEMBERS_H

#include "proto/edit.h"

typedef enum { ROLE_MEMBER = 0, ROLE_COORDINATOR = 1, ROLE_ADMIN = 2 } role_t;

/* One step of a member's history: from clock `hlc` on, it has `role`, or
 * is shut out when `revoked`. */
typedef struct {
    uint64_t hlc;
    role_t role;
    bool revoked;
    bool cut;             /* a revocation with known_until: */
    uint64_t known_until; /* edits dated after this and before hlc do not count */
} member_step_t;

typedef struct {
    uint8_t key[32];      /* Ed25519 node id */
    uint8_t curve[32];    /* its X25519 (CURVE) public key */
    char name[121];
    role_t role;          /* role now */
    bool revoked;         /* shut out now */
    bool in;              /* admitted: an applied certificate gave it a role */
    uint8_t admitted_by[32];
    uint64_t admitted;    /* hlc of the admitting edit */
    uint8_t revoked_by[32];
    uint64_t revoked_at;  /* hlc from which its edits no longer count */
    char reason[201];
    member_step_t *steps; /* in clock order; the founder has none */
    size_t nsteps;
} member_t;

typedef struct members_t {
    uint8_t founder[32];
    member_t *v;
    size_t n;
    char mesh_name[121];
} members_t;

/* Computes the members of the mesh founded by founder from n certificate
 * edits (any order; edits of other kinds are ignored; the array is sorted
 * in place). */
void members_build(edit_t **certs, size_t n, const uint8_t founder[32], members_t *out);
void members_clear(members_t *m);

/* The member with this node id / CURVE key, or NULL (revoked ones too). */
const member_t *members_find(const members_t *m, const uint8_t key[32]);
const member_t *members_find_curve(const members_t *m, const uint8_t curve[32]);

/* True for the founder and for members admitted and not revoked now. A
 * key that no applied certificate gave a role is not in the list at all. */
bool members_active(const members_t *m, const uint8_t key[32]);

/*
 * The role key held at clock hlc, or -1 when it was not a member then (not
 * yet admitted, or revoked at or before hlc). The founder is an admin at
 * every clock. This is what decides whether an edit counts.
 */
int members_role_at(const members_t *m, const uint8_t key[32], uint64_t hlc);

/* Parses "admin", "coordinator", "member"; -1 otherwise. */
int members_role_parse(const char *s);
const char *members_role_name(role_t r);

#endif

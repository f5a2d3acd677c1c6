//! The permission matrix and every authorization decision, in one place.
//!
//! Decisions, in order:
//! 1. The matrix ([`MATRIX`]): may this role do this action on this kind of resource at
//!    all? No: an anonymous caller gets [`Denial::Unauthenticated`] (401), anyone else
//!    [`Denial::Forbidden`] (403). This happens before any lookup, so it reveals nothing
//!    about which ids exist. [`OPERATOR_ONLY`] actions also need a platform operator.
//! 2. The data scope: tenant data ([`tenant_viewer`]) is read and written within the
//!    caller's tenant, or only public records for anonymous callers; platform data
//!    ([`platform_scope`]) is everything for operators and the own tenant for others.
//! 3. The record ([`Viewer::check`]): another tenant's record is [`Denial::NotFound`]
//!    (404, never 403, so ids cannot be probed) unless it is public and only read.

use super::principal::Principal;
use super::role::Role;
use crate::tenant::TenantId;

/// A kind of resource in the permission matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Story-world characters (tenant data).
    Characters,
    /// Stories (tenant data).
    Stories,
    /// Campaigns (tenant data).
    Campaigns,
    /// Counters about the platform or a tenant.
    SystemMetrics,
    /// Tenants themselves (platform data).
    Tenants,
    /// API keys (platform data).
    ApiKeys,
    /// The audit log (platform data).
    AuditLog,
    /// Generation jobs, their chapters and events (tenant data); update = cancel/retry.
    Jobs,
    /// LLM token and cost totals (tenant data).
    Usage,
    /// Running the pipeline sweeper now (platform data: all tenants' jobs for operators,
    /// the own tenant's for tenant admins).
    SystemSweep,
}

impl Resource {
    /// The snake_case name, as audited and documented.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Characters => "characters",
            Self::Stories => "stories",
            Self::Campaigns => "campaigns",
            Self::SystemMetrics => "system_metrics",
            Self::Tenants => "tenants",
            Self::ApiKeys => "api_keys",
            Self::AuditLog => "audit_log",
            Self::Jobs => "jobs",
            Self::Usage => "usage",
            Self::SystemSweep => "system_sweep",
        }
    }
}

/// What a request does to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create a new record.
    Create,
    /// Read or list records.
    Read,
    /// Change a record.
    Update,
    /// Delete (or revoke) a record.
    Delete,
}

impl Action {
    const fn bit(self) -> u8 {
        match self {
            Self::Create => 1,
            Self::Read => 2,
            Self::Update => 4,
            Self::Delete => 8,
        }
    }
}

/// One cell of the matrix: the actions allowed, and whether reads are limited to public
/// records (the anonymous column; enforced by [`Viewer::Public`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    actions: u8,
    public_only: bool,
}

impl Grant {
    const fn of(actions: &[Action]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < actions.len() {
            bits |= actions[i].bit();
            i += 1;
        }
        Self {
            actions: bits,
            public_only: false,
        }
    }

    /// Whether the cell allows `action`.
    fn allows(self, action: Action) -> bool {
        self.actions & action.bit() != 0
    }
}

use Action::{Create as C, Delete as D, Read as R, Update as U};

const NONE: Grant = Grant::of(&[]);
const CRUD: Grant = Grant::of(&[C, R, U, D]);
const CREATE_READ: Grant = Grant::of(&[C, R]);
const CREATE_READ_DELETE: Grant = Grant::of(&[C, R, D]);
const CREATE_READ_UPDATE: Grant = Grant::of(&[C, R, U]);
const CREATE: Grant = Grant::of(&[C]);
const READ: Grant = Grant::of(&[R]);
const READ_PUBLIC: Grant = Grant {
    actions: R.bit(),
    public_only: true,
};

/// The permission matrix: one row per resource, columns admin, user, service, anonymous.
pub const MATRIX: [(Resource, [Grant; 4]); 10] = [
    (Resource::Characters, [CRUD, CREATE_READ, CRUD, READ_PUBLIC]),
    (Resource::Stories, [CRUD, CRUD, CRUD, READ_PUBLIC]),
    (Resource::Campaigns, [CRUD, CRUD, CREATE_READ, NONE]),
    (Resource::SystemMetrics, [CRUD, NONE, READ, NONE]),
    (Resource::Tenants, [CREATE_READ, NONE, NONE, NONE]),
    (Resource::ApiKeys, [CREATE_READ_DELETE, NONE, NONE, NONE]),
    (Resource::AuditLog, [READ, NONE, NONE, NONE]),
    (
        Resource::Jobs,
        [
            CREATE_READ_UPDATE,
            CREATE_READ_UPDATE,
            CREATE_READ_UPDATE,
            NONE,
        ],
    ),
    (Resource::Usage, [READ, READ, READ, NONE]),
    (Resource::SystemSweep, [CREATE, NONE, NONE, NONE]),
];

/// Actions only a platform operator may perform, whatever the role's grant.
pub const OPERATOR_ONLY: [(Resource, Action); 1] = [(Resource::Tenants, Action::Create)];

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// An anonymous caller attempted something that needs credentials (401).
    #[error("this request needs an API key: send `Authorization: Bearer <key>`")]
    Unauthenticated,
    /// The caller's role may not do this (403).
    #[error("your role does not allow this")]
    Forbidden,
    /// The record is not visible to the caller (404).
    #[error("not found")]
    NotFound,
    /// The operator token acted on tenant data, which needs a tenant (403).
    #[error("the operator token has no tenant; use a tenant key")]
    NoTenant,
}

/// The matrix cell for `resource` and a caller with `role` (`None`: anonymous).
fn grant(resource: Resource, role: Option<Role>) -> Grant {
    let column = match role {
        Some(Role::Admin) => 0,
        Some(Role::User) => 1,
        Some(Role::Service) => 2,
        None => 3,
    };
    MATRIX
        .iter()
        .find(|(row, _)| *row == resource)
        .map_or(NONE, |(_, cells)| cells[column])
}

/// Step 1: whether the caller may do `action` on `resource` at all.
fn authorize(principal: &Principal, resource: Resource, action: Action) -> Result<(), Denial> {
    let refused = match principal {
        Principal::Anonymous => Denial::Unauthenticated,
        Principal::Operator | Principal::Key(_) => Denial::Forbidden,
    };
    if !grant(resource, principal.role()).allows(action) {
        return Err(refused);
    }
    if OPERATOR_ONLY.contains(&(resource, action)) && !principal.is_operator() {
        return Err(refused);
    }
    Ok(())
}

/// Which rows of platform data (tenants, keys, audit log, metrics) a query may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataScope {
    /// Every tenant's (platform operators only).
    All,
    /// One tenant's.
    Tenant(TenantId),
}

impl DataScope {
    /// `tenant` if this scope includes it; another tenant's is [`Denial::NotFound`].
    pub fn restrict_to(&self, tenant: TenantId) -> Result<TenantId, Denial> {
        match self {
            Self::All => Ok(tenant),
            Self::Tenant(own) if *own == tenant => Ok(tenant),
            Self::Tenant(_) => Err(Denial::NotFound),
        }
    }

    /// This scope narrowed to the `requested` tenant, if one was asked for.
    pub fn filtered(self, requested: Option<TenantId>) -> Result<Self, Denial> {
        match requested {
            None => Ok(self),
            Some(tenant) => self.restrict_to(tenant).map(Self::Tenant),
        }
    }
}

/// Steps 1 and 2 for platform data: operators see every tenant, others their own.
pub fn platform_scope(
    principal: &Principal,
    resource: Resource,
    action: Action,
) -> Result<DataScope, Denial> {
    authorize(principal, resource, action)?;
    if principal.is_operator() {
        return Ok(DataScope::All);
    }
    principal
        .tenant_id()
        .map(|id| DataScope::Tenant(id.clone()))
        .ok_or(Denial::Unauthenticated)
}

/// From where a caller sees tenant data (stories, characters, campaigns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// An anonymous caller: public records of every tenant, read only.
    Public,
    /// A tenant's key: that tenant's records, plus other tenants' public ones read only.
    Member(TenantId),
}

/// Who owns a record, and whether it is public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ownership<'a> {
    /// The owning tenant.
    pub tenant: &'a TenantId,
    /// Whether anyone may read it.
    pub public: bool,
}

/// Steps 1 and 2 for tenant data. The operator token has no tenant, so it is refused
/// ([`Denial::NoTenant`]); internal admin keys act within their own tenant.
pub fn tenant_viewer(
    principal: &Principal,
    resource: Resource,
    action: Action,
) -> Result<Viewer, Denial> {
    authorize(principal, resource, action)?;
    match principal {
        Principal::Anonymous => Ok(Viewer::Public),
        Principal::Operator => Err(Denial::NoTenant),
        Principal::Key(holder) => Ok(Viewer::Member(holder.tenant.id.clone())),
    }
}

impl Viewer {
    /// The tenant whose data this viewer may change, if any.
    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            Self::Public => None,
            Self::Member(tenant) => Some(tenant),
        }
    }

    /// Step 3: may this viewer do `action` (already authorized by [`tenant_viewer`]) on a
    /// record owned as described? Own records: yes. Others' public records: read only.
    /// Anything else is [`Denial::NotFound`].
    pub fn check(&self, action: Action, owner: Ownership<'_>) -> Result<(), Denial> {
        let own = self.tenant() == Some(owner.tenant);
        if own || (owner.public && action == Action::Read) {
            Ok(())
        } else {
            Err(Denial::NotFound)
        }
    }
}

/// Whether the caller may read the tenant whose id is `raw_id` (as given in a path):
/// operators any, members their own; any other id, well-formed or not, is
/// [`Denial::NotFound`]. This is membership, not a matrix cell: any role may read its own
/// tenant (as `GET /api/v1/me` shows it too). Returns the parsed id.
pub fn can_view_tenant(principal: &Principal, raw_id: &str) -> Result<TenantId, Denial> {
    if matches!(principal, Principal::Anonymous) {
        return Err(Denial::Unauthenticated);
    }
    let id = TenantId::parse(raw_id).map_err(|_| Denial::NotFound)?;
    if principal.is_operator() || principal.tenant_id() == Some(&id) {
        Ok(id)
    } else {
        Err(Denial::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::fixtures::{member, member_of, tenant};
    use crate::tenant::Tier;

    impl Action {
        /// Every action, in CRUD order.
        const ALL: [Action; 4] = [C, R, U, D];
    }

    /// The matrix as documented (docs/auth.md); `R*` = read public records only,
    /// `-` = nothing. Columns: admin (a tenant admin), user, service, anonymous.
    const DOCUMENTED: &str = "
        characters     CRUD CR   CRUD R*
        stories        CRUD CRUD CRUD R*
        campaigns      CRUD CRUD CR   -
        system_metrics CRUD -    R    -
        tenants        R    -    -    -
        api_keys       CRD  -    -    -
        audit_log      R    -    -    -
        jobs           CRU  CRU  CRU  -
        usage          R    R    R    -
        system_sweep   C    -    -    -
    ";

    /// What `authorize` actually allows for one cell, in the table's notation.
    fn observed(principal: &Principal, resource: Resource) -> String {
        let mut cell = String::new();
        for (action, letter) in Action::ALL.into_iter().zip(["C", "R", "U", "D"]) {
            match authorize(principal, resource, action) {
                Ok(()) => cell.push_str(letter),
                Err(denial) => {
                    let expected = match principal {
                        Principal::Anonymous => Denial::Unauthenticated,
                        _ => Denial::Forbidden,
                    };
                    assert_eq!(denial, expected, "{resource:?} {action:?}");
                }
            }
        }
        let public_only = grant(resource, principal.role()).public_only;
        match (cell.is_empty(), public_only) {
            (true, _) => "-".into(),
            (false, true) => format!("{cell}*"),
            (false, false) => cell,
        }
    }

    #[test]
    fn every_cell_matches_the_documented_matrix() {
        let columns = [
            member("acme", Role::Admin),
            member("acme", Role::User),
            member("acme", Role::Service),
            Principal::Anonymous,
        ];
        let rows: Vec<&str> = DOCUMENTED
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(rows.len(), MATRIX.len());
        for (line, (resource, _)) in rows.iter().zip(MATRIX) {
            let mut words = line.split_whitespace();
            assert_eq!(Some(resource.as_str()), words.next());
            for (principal, expected) in columns.iter().zip(words) {
                assert_eq!(
                    observed(principal, resource),
                    expected,
                    "{resource:?} {principal:?}"
                );
            }
        }
    }

    #[test]
    fn operators_may_also_create_tenants() {
        let internal_admin = member_of(tenant("ops", Tier::Internal), Role::Admin);
        for operator in [Principal::Operator, internal_admin] {
            assert_eq!(observed(&operator, Resource::Tenants), "CR");
            assert_eq!(observed(&operator, Resource::ApiKeys), "CRD");
            assert_eq!(observed(&operator, Resource::Stories), "CRUD");
        }
        let internal_user = member_of(tenant("ops", Tier::Internal), Role::User);
        assert_eq!(observed(&internal_user, Resource::Tenants), "-");
    }

    #[test]
    fn platform_scope_is_everything_for_operators_and_the_own_tenant_otherwise() {
        let acme = TenantId::parse("acme").unwrap();
        let read = |p: &Principal| platform_scope(p, Resource::AuditLog, Action::Read);
        assert_eq!(read(&Principal::Operator), Ok(DataScope::All));
        let internal = member_of(tenant("ops", Tier::Internal), Role::Admin);
        assert_eq!(read(&internal), Ok(DataScope::All));
        assert_eq!(
            read(&member("acme", Role::Admin)),
            Ok(DataScope::Tenant(acme.clone()))
        );
        assert_eq!(read(&member("acme", Role::User)), Err(Denial::Forbidden));
        assert_eq!(read(&Principal::Anonymous), Err(Denial::Unauthenticated));
        assert_eq!(
            platform_scope(
                &member("acme", Role::Service),
                Resource::SystemMetrics,
                Action::Read
            ),
            Ok(DataScope::Tenant(acme))
        );
    }

    #[test]
    fn scopes_restrict_to_visible_tenants_only() {
        let acme = TenantId::parse("acme").unwrap();
        let other = TenantId::parse("other").unwrap();
        let own = DataScope::Tenant(acme.clone());
        assert_eq!(own.restrict_to(acme.clone()), Ok(acme.clone()));
        assert_eq!(own.restrict_to(other.clone()), Err(Denial::NotFound));
        assert_eq!(DataScope::All.restrict_to(other.clone()), Ok(other.clone()));
        assert_eq!(own.clone().filtered(None), Ok(own.clone()));
        assert_eq!(
            own.clone().filtered(Some(other.clone())),
            Err(Denial::NotFound)
        );
        assert_eq!(DataScope::All.filtered(None), Ok(DataScope::All));
        assert_eq!(
            DataScope::All.filtered(Some(other.clone())),
            Ok(DataScope::Tenant(other))
        );
    }

    #[test]
    fn tenant_data_needs_a_tenant_or_is_public_only() {
        let viewer = |p: &Principal, a| tenant_viewer(p, Resource::Stories, a);
        assert_eq!(
            viewer(&Principal::Anonymous, Action::Read),
            Ok(Viewer::Public)
        );
        for write in [Action::Create, Action::Update, Action::Delete] {
            assert_eq!(
                viewer(&Principal::Anonymous, write),
                Err(Denial::Unauthenticated)
            );
        }
        for action in Action::ALL {
            assert_eq!(viewer(&Principal::Operator, action), Err(Denial::NoTenant));
        }
        let internal = member_of(tenant("ops", Tier::Internal), Role::Admin);
        assert_eq!(
            viewer(&internal, Action::Create),
            Ok(Viewer::Member(TenantId::parse("ops").unwrap()))
        );
        assert_eq!(
            tenant_viewer(
                &member("acme", Role::User),
                Resource::Characters,
                Action::Delete
            ),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            tenant_viewer(&Principal::Anonymous, Resource::Campaigns, Action::Read),
            Err(Denial::Unauthenticated)
        );
    }

    /// Own records: everything authorized. Others' public records: read only. Others'
    /// private records: 404 for every action, never 403.
    #[test]
    fn records_of_other_tenants_are_not_found_unless_public_reads() {
        let acme = TenantId::parse("acme").unwrap();
        let other = TenantId::parse("other").unwrap();
        let member = Viewer::Member(acme.clone());
        let cases = [
            (&member, &acme, false, [true, true, true, true]),
            (&member, &acme, true, [true, true, true, true]),
            (&member, &other, false, [false, false, false, false]),
            (&member, &other, true, [false, true, false, false]),
            (&Viewer::Public, &acme, false, [false, false, false, false]),
            (&Viewer::Public, &acme, true, [false, true, false, false]),
        ];
        for (viewer, owner, public, allowed) in cases {
            for (action, allowed) in Action::ALL.into_iter().zip(allowed) {
                let result = viewer.check(
                    action,
                    Ownership {
                        tenant: owner,
                        public,
                    },
                );
                let expected = if allowed {
                    Ok(())
                } else {
                    Err(Denial::NotFound)
                };
                assert_eq!(
                    result, expected,
                    "{viewer:?} {owner} public={public} {action:?}"
                );
            }
        }
    }

    #[test]
    fn tenants_are_visible_to_operators_and_members() {
        let acme = TenantId::parse("acme").unwrap();
        assert_eq!(
            can_view_tenant(&Principal::Operator, "acme"),
            Ok(acme.clone())
        );
        for role in Role::ALL {
            assert_eq!(
                can_view_tenant(&member("acme", role), "acme"),
                Ok(acme.clone())
            );
            assert_eq!(
                can_view_tenant(&member("other", role), "acme"),
                Err(Denial::NotFound)
            );
            assert_eq!(
                can_view_tenant(&member("acme", role), "A:B"),
                Err(Denial::NotFound)
            );
        }
        let internal = member_of(tenant("ops", Tier::Internal), Role::Admin);
        assert_eq!(can_view_tenant(&internal, "acme"), Ok(acme));
        assert_eq!(
            can_view_tenant(&Principal::Operator, "A:B"),
            Err(Denial::NotFound)
        );
        for raw in ["acme", "A:B"] {
            assert_eq!(
                can_view_tenant(&Principal::Anonymous, raw),
                Err(Denial::Unauthenticated)
            );
        }
    }
}

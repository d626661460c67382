namespace Appliance.Server.Store;

/// <summary>
/// <see cref="SqliteMigrations"/> translated for PostgreSQL, numbered the same (a database migrated to version N has
/// the same tables and columns on either engine, which is what <c>appliance-server migrate</c> copies). Never edit a
/// shipped migration: append a new one, beside its SQLite twin.
/// </summary>
/// <remarks>
/// Text columns are of the domain <c>ctext</c> (text in the "C" collation): the store's lists are ordered by name and
/// its name lookups take an index range that assumes byte order ('.' after '-'), as SQLite compares; a database made
/// with a language collation would sort otherwise. Times stay round-trip UTC text of one fixed width (text order is
/// time order), lists JSON text, flags integers: the session's SQL is the same on both engines. Integers the session
/// reads as 64-bit are BIGINT, those it reads as 32-bit INTEGER.
/// </remarks>
internal static class PostgresMigrations
{
    public static readonly IReadOnlyList<(int Version, string Description, string Sql)> All =
    [
        (1, "networks, enrollment keys, nodes, address holds, settings", """
            CREATE DOMAIN ctext AS text COLLATE "C";
            CREATE TABLE settings (
                key   ctext PRIMARY KEY,
                value ctext NOT NULL
            );
            CREATE TABLE networks (
                name        ctext PRIMARY KEY,
                ipv4_cidr   ctext NOT NULL,
                ipv6_cidr   ctext,
                listen_port INTEGER NOT NULL,
                mtu         INTEGER NOT NULL,
                keepalive   INTEGER NOT NULL,
                version     BIGINT NOT NULL,
                created_at  ctext NOT NULL
            );
            CREATE TABLE enrollment_keys (
                id             ctext PRIMARY KEY,
                secret_hash    ctext NOT NULL UNIQUE,
                networks       ctext NOT NULL,
                uses_remaining INTEGER,
                expires_at     ctext,
                tags           ctext NOT NULL,
                created_at     ctext NOT NULL
            );
            CREATE TABLE nodes (
                id                ctext PRIMARY KEY,
                network           ctext NOT NULL REFERENCES networks(name),
                name              ctext NOT NULL,
                hostname          ctext NOT NULL,
                public_key        ctext NOT NULL,
                ipv4              ctext,
                ipv6              ctext,
                listen_port       INTEGER NOT NULL,
                endpoints         ctext NOT NULL,
                os                ctext NOT NULL,
                version           ctext NOT NULL,
                tags              ctext NOT NULL,
                credential_hash   ctext NOT NULL,
                enrollment_key_id ctext,
                created_at        ctext NOT NULL,
                last_seen         ctext
            );
            CREATE UNIQUE INDEX nodes_network_name ON nodes(network, name);
            CREATE UNIQUE INDEX nodes_network_public_key ON nodes(network, public_key);
            CREATE UNIQUE INDEX nodes_network_ipv4 ON nodes(network, ipv4) WHERE ipv4 IS NOT NULL;
            CREATE UNIQUE INDEX nodes_network_ipv6 ON nodes(network, ipv6) WHERE ipv6 IS NOT NULL;
            CREATE TABLE address_holds (
                network ctext NOT NULL,
                address ctext NOT NULL,
                until   ctext NOT NULL,
                PRIMARY KEY (network, address)
            );
            """),
        (2, "gateway roles, ext clients, custom DNS entries, a node's internet gateway", """
            ALTER TABLE nodes ADD COLUMN internet_gateway ctext;
            CREATE TABLE ingress_gateways (
                node_id    ctext PRIMARY KEY REFERENCES nodes(id),
                network    ctext NOT NULL REFERENCES networks(name),
                nat        BIGINT NOT NULL,
                dns        ctext NOT NULL,
                created_at ctext NOT NULL
            );
            CREATE TABLE egress_gateways (
                node_id    ctext PRIMARY KEY REFERENCES nodes(id),
                network    ctext NOT NULL REFERENCES networks(name),
                ranges     ctext NOT NULL,
                nat        BIGINT NOT NULL,
                created_at ctext NOT NULL
            );
            CREATE TABLE ext_clients (
                id               ctext PRIMARY KEY,
                network          ctext NOT NULL REFERENCES networks(name),
                name             ctext NOT NULL,
                gateway          ctext NOT NULL REFERENCES nodes(id),
                public_key       ctext NOT NULL,
                private_key      ctext,
                ipv4             ctext,
                ipv6             ctext,
                enabled          BIGINT NOT NULL,
                expires_at       ctext,
                expiry_published BIGINT NOT NULL DEFAULT 0,
                created_at       ctext NOT NULL,
                rx_bytes         BIGINT,
                tx_bytes         BIGINT,
                last_handshake   ctext
            );
            CREATE UNIQUE INDEX ext_clients_network_name ON ext_clients(network, name);
            CREATE UNIQUE INDEX ext_clients_network_public_key ON ext_clients(network, public_key);
            CREATE UNIQUE INDEX ext_clients_network_ipv4 ON ext_clients(network, ipv4) WHERE ipv4 IS NOT NULL;
            CREATE UNIQUE INDEX ext_clients_network_ipv6 ON ext_clients(network, ipv6) WHERE ipv6 IS NOT NULL;
            CREATE INDEX ext_clients_gateway ON ext_clients(gateway);
            CREATE TABLE dns_entries (
                id         ctext PRIMARY KEY,
                network    ctext NOT NULL REFERENCES networks(name),
                name       ctext NOT NULL,
                type       ctext NOT NULL,
                value      ctext NOT NULL,
                created_at ctext NOT NULL
            );
            CREATE UNIQUE INDEX dns_entries_network_record ON dns_entries(network, name, type, value);
            """),
        // As SQLite's migration 3 (canonical last base64 character); "OR IGNORE" becomes: leave a row whose canonical
        // spelling another row of its network already has.
        (3, "WireGuard public keys in canonical base64", """
            UPDATE nodes AS t SET public_key = substr(t.public_key, 1, 42)
                || substr('AAAAEEEEIIIIMMMMQQQQUUUUYYYYccccggggkkkkoooosssswwww000044448888',
                    strpos('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', substr(t.public_key, 43, 1)), 1) || '='
                WHERE length(t.public_key) = 44 AND substr(t.public_key, 44, 1) = '='
                  AND NOT EXISTS (SELECT 1 FROM nodes o WHERE o.network = t.network AND o.id <> t.id AND o.public_key = substr(t.public_key, 1, 42)
                    || substr('AAAAEEEEIIIIMMMMQQQQUUUUYYYYccccggggkkkkoooosssswwww000044448888',
                        strpos('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', substr(t.public_key, 43, 1)), 1) || '=');
            UPDATE ext_clients AS t SET public_key = substr(t.public_key, 1, 42)
                || substr('AAAAEEEEIIIIMMMMQQQQUUUUYYYYccccggggkkkkoooosssswwww000044448888',
                    strpos('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', substr(t.public_key, 43, 1)), 1) || '='
                WHERE length(t.public_key) = 44 AND substr(t.public_key, 44, 1) = '='
                  AND NOT EXISTS (SELECT 1 FROM ext_clients o WHERE o.network = t.network AND o.id <> t.id AND o.public_key = substr(t.public_key, 1, 42)
                    || substr('AAAAEEEEIIIIMMMMQQQQUUUUYYYYccccggggkkkkoooosssswwww000044448888',
                        strpos('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', substr(t.public_key, 43, 1)), 1) || '=');
            """),
        (4, "network epochs, the signing-key chain", """
            ALTER TABLE networks ADD COLUMN epoch ctext NOT NULL DEFAULT '';
            UPDATE networks SET epoch = replace(gen_random_uuid()::text, '-', '');
            CREATE TABLE signing_keys (
                seq          BIGINT PRIMARY KEY,
                public_key   ctext NOT NULL UNIQUE,
                announcement BYTEA,
                created_at   ctext NOT NULL
            );
            """),
        (5, "access policies: at most one per network, kept as written", """
            CREATE TABLE policies (
                network    ctext PRIMARY KEY REFERENCES networks(name),
                text       ctext NOT NULL,
                revision   BIGINT NOT NULL,
                updated_at ctext NOT NULL
            );
            """),
        (6, "NAT traversal: relays, NAT-mapped endpoints, opt-outs, a network's punching switch", """
            ALTER TABLE nodes ADD COLUMN relay BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE nodes ADD COLUMN mapped_endpoint ctext;
            ALTER TABLE nodes ADD COLUMN no_relay BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE nodes ADD COLUMN no_punch BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE networks ADD COLUMN punching BIGINT NOT NULL DEFAULT 1;
            """),
        (7, "web console admin accounts", """
            CREATE TABLE admin_accounts (
                name                ctext PRIMARY KEY,
                password_hash       ctext NOT NULL,
                created_at          ctext NOT NULL,
                password_changed_at ctext NOT NULL
            );
            """),
        (8, "the activity log: who changed what, when (bounded: see ActivityLog)", """
            CREATE TABLE activity (
                id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                at         ctext NOT NULL,
                actor_kind ctext NOT NULL,
                actor      ctext NOT NULL,
                action     ctext NOT NULL,
                network    ctext,
                summary    ctext NOT NULL
            );
            CREATE INDEX activity_network ON activity(network, id);
            CREATE INDEX activity_at ON activity(at);
            """),
        // PostgreSQL only (SQLite's 9 is empty: one server, whose store hands its changes to its own publisher).
        (9, "the change feed between replicas: what each write changed, and what the publisher has sent", """
            CREATE TABLE changes (
                seq          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                network      ctext NOT NULL,
                version      BIGINT NOT NULL,
                kinds        ctext NOT NULL,
                committed_at ctext NOT NULL
            );
            CREATE TABLE changes_published (
                id  INTEGER PRIMARY KEY CHECK (id = 1),
                seq BIGINT NOT NULL
            );
            INSERT INTO changes_published (id, seq) VALUES (1, 0);
            CREATE TABLE published_versions (
                network ctext PRIMARY KEY,
                version BIGINT NOT NULL
            );
            """),
    ];
}

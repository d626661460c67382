namespace Appliance.Server.Store;

/// <summary>
/// The schema, as numbered migrations applied in order at start. Never edit a shipped migration:
/// append a new one. <c>schema_version</c> records which ones a database has.
/// </summary>
internal static class SqliteMigrations
{
    public static readonly IReadOnlyList<(int Version, string Description, string Sql)> All =
    [
        (1, "networks, enrollment keys, nodes, address holds, settings", """
            CREATE TABLE settings (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            CREATE TABLE networks (
                name        TEXT PRIMARY KEY,
                ipv4_cidr   TEXT NOT NULL,
                ipv6_cidr   TEXT,
                listen_port INTEGER NOT NULL,
                mtu         INTEGER NOT NULL,
                keepalive   INTEGER NOT NULL,
                version     INTEGER NOT NULL,
                created_at  TEXT NOT NULL
            );
            CREATE TABLE enrollment_keys (
                id             TEXT PRIMARY KEY,
                secret_hash    TEXT NOT NULL UNIQUE,
                networks       TEXT NOT NULL,
                uses_remaining INTEGER,
                expires_at     TEXT,
                tags           TEXT NOT NULL,
                created_at     TEXT NOT NULL
            );
            CREATE TABLE nodes (
                id                TEXT PRIMARY KEY,
                network           TEXT NOT NULL REFERENCES networks(name),
                name              TEXT NOT NULL,
                hostname          TEXT NOT NULL,
                public_key        TEXT NOT NULL,
                ipv4              TEXT,
                ipv6              TEXT,
                listen_port       INTEGER NOT NULL,
                endpoints         TEXT NOT NULL,
                os                TEXT NOT NULL,
                version           TEXT NOT NULL,
                tags              TEXT NOT NULL,
                credential_hash   TEXT NOT NULL,
                enrollment_key_id TEXT,
                created_at        TEXT NOT NULL,
                last_seen         TEXT
            );
            CREATE UNIQUE INDEX nodes_network_name ON nodes(network, name);
            CREATE UNIQUE INDEX nodes_network_public_key ON nodes(network, public_key);
            CREATE UNIQUE INDEX nodes_network_ipv4 ON nodes(network, ipv4) WHERE ipv4 IS NOT NULL;
            CREATE UNIQUE INDEX nodes_network_ipv6 ON nodes(network, ipv6) WHERE ipv6 IS NOT NULL;
            CREATE TABLE address_holds (
                network TEXT NOT NULL,
                address TEXT NOT NULL,
                until   TEXT NOT NULL,
                PRIMARY KEY (network, address)
            );
            """),
        (2, "gateway roles, ext clients, custom DNS entries, a node's internet gateway", """
            ALTER TABLE nodes ADD COLUMN internet_gateway TEXT;
            CREATE TABLE ingress_gateways (
                node_id    TEXT PRIMARY KEY REFERENCES nodes(id),
                network    TEXT NOT NULL REFERENCES networks(name),
                nat        INTEGER NOT NULL,
                dns        TEXT NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE TABLE egress_gateways (
                node_id    TEXT PRIMARY KEY REFERENCES nodes(id),
                network    TEXT NOT NULL REFERENCES networks(name),
                ranges     TEXT NOT NULL,
                nat        INTEGER NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE TABLE ext_clients (
                id               TEXT PRIMARY KEY,
                network          TEXT NOT NULL REFERENCES networks(name),
                name             TEXT NOT NULL,
                gateway          TEXT NOT NULL REFERENCES nodes(id),
                public_key       TEXT NOT NULL,
                private_key      TEXT,
                ipv4             TEXT,
                ipv6             TEXT,
                enabled          INTEGER NOT NULL,
                expires_at       TEXT,
                expiry_published INTEGER NOT NULL DEFAULT 0,
                created_at       TEXT NOT NULL,
                rx_bytes         INTEGER,
                tx_bytes         INTEGER,
                last_handshake   TEXT
            );
            CREATE UNIQUE INDEX ext_clients_network_name ON ext_clients(network, name);
            CREATE UNIQUE INDEX ext_clients_network_public_key ON ext_clients(network, public_key);
            CREATE UNIQUE INDEX ext_clients_network_ipv4 ON ext_clients(network, ipv4) WHERE ipv4 IS NOT NULL;
            CREATE UNIQUE INDEX ext_clients_network_ipv6 ON ext_clients(network, ipv6) WHERE ipv6 IS NOT NULL;
            CREATE INDEX ext_clients_gateway ON ext_clients(gateway);
            CREATE TABLE dns_entries (
                id         TEXT PRIMARY KEY,
                network    TEXT NOT NULL REFERENCES networks(name),
                name       TEXT NOT NULL,
                type       TEXT NOT NULL,
                value      TEXT NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE UNIQUE INDEX dns_entries_network_record ON dns_entries(network, name, type, value);
            """),
        // 32 bytes fill 43 base64 characters but for the last one's two low bits; a key stored before joins compared
        // keys canonically may have them set. The canonical last character is the one whose alphabet index has those
        // bits clear (the second string maps index i to i & ~3). OR IGNORE: two spellings of one key already in one
        // network stay as they are rather than stop the server (the unique (network, public_key) index could not hold
        // both once canonical).
        (3, "WireGuard public keys in canonical base64", """
            UPDATE OR IGNORE nodes SET public_key = substr(public_key, 1, 42)
                || substr('AAAAEEEEIIIIMMMMQQQQUUUUYYYYccccggggkkkkoooosssswwww000044448888',
                    instr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', substr(public_key, 43, 1)), 1) || '='
                WHERE length(public_key) = 44 AND substr(public_key, 44, 1) = '=';
            UPDATE OR IGNORE ext_clients SET public_key = substr(public_key, 1, 42)
                || substr('AAAAEEEEIIIIMMMMQQQQUUUUYYYYccccggggkkkkoooosssswwww000044448888',
                    instr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', substr(public_key, 43, 1)), 1) || '='
                WHERE length(public_key) = 44 AND substr(public_key, 44, 1) = '=';
            """),
        (4, "network epochs, the signing-key chain", """
            ALTER TABLE networks ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
            UPDATE networks SET epoch = lower(hex(randomblob(16)));
            CREATE TABLE signing_keys (
                seq          INTEGER PRIMARY KEY,
                public_key   TEXT NOT NULL UNIQUE,
                announcement BLOB,
                created_at   TEXT NOT NULL
            );
            """),
        (5, "access policies: at most one per network, kept as written", """
            CREATE TABLE policies (
                network    TEXT PRIMARY KEY REFERENCES networks(name),
                text       TEXT NOT NULL,
                revision   INTEGER NOT NULL,
                updated_at TEXT NOT NULL
            );
            """),
        (6, "NAT traversal: relays, NAT-mapped endpoints, opt-outs, a network's punching switch", """
            ALTER TABLE nodes ADD COLUMN relay INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE nodes ADD COLUMN mapped_endpoint TEXT;
            ALTER TABLE nodes ADD COLUMN no_relay INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE nodes ADD COLUMN no_punch INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE networks ADD COLUMN punching INTEGER NOT NULL DEFAULT 1;
            """),
        (7, "web console admin accounts", """
            CREATE TABLE admin_accounts (
                name                TEXT PRIMARY KEY,
                password_hash       TEXT NOT NULL,
                created_at          TEXT NOT NULL,
                password_changed_at TEXT NOT NULL
            );
            """),
        (8, "the activity log: who changed what, when (bounded: see ActivityLog)", """
            CREATE TABLE activity (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                at         TEXT NOT NULL,
                actor_kind TEXT NOT NULL,
                actor      TEXT NOT NULL,
                action     TEXT NOT NULL,
                network    TEXT,
                summary    TEXT NOT NULL
            );
            CREATE INDEX activity_network ON activity(network, id);
            CREATE INDEX activity_at ON activity(at);
            """),
        // Numbered with PostgreSQL's 9 (the replicas' change feed); one SQLite server needs no feed.
        (9, "the change feed between replicas (PostgreSQL only; nothing here)", """
            SELECT 1;
            """),
    ];
}

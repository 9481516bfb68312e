//! `spawn_app()`: the real app (build_app via `rihla_api::start`) on
//! 127.0.0.1:0 with a fresh database per test: a new SQLite file by default, or
//! a new PostgreSQL database when TEST_DATABASE_URL points at a server (created
//! here, dropped when the test ends).

use std::path::PathBuf;

use reqwest::{Client, Method, Response, StatusCode};
use rihla_api::Config;
use rihla_domain::ResourceType;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use uuid::Uuid;

pub const ADMIN_EMAIL: &str = "admin@rihla.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const PASSWORD: &str = "a-long-enough-password";
pub const JWT_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long!";

pub struct TestApp {
    pub base: String,
    /// The running app's state: the demo loader runs against its database.
    pub state: actix_web::web::Data<rihla_api::state::AppState>,
    pub client: Client,
    pub admin: String,
    /// The app's database, for tests that migrate it themselves.
    pub db_url: String,
    /// `http://addr` of the metrics endpoint, when APP_METRICS_BIND was set.
    pub metrics: Option<String>,
    data_dir: PathBuf,
    pg: Option<(String, String)>,
    handle: actix_web::dev::ServerHandle,
}

/// The PostgreSQL server URL and a database name, when TEST_DATABASE_URL is set.
async fn fresh_postgres() -> Option<(String, String, String)> {
    let server = std::env::var("TEST_DATABASE_URL").ok()?;
    let name = format!("rihla_test_{}", Uuid::new_v4().simple());
    let admin = Database::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {server} is not reachable: {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    // Same server, our database: replace the path of the URL.
    let host_start = server.find("://").map_or(0, |i| i + 3);
    let base = match server[host_start..].find('/') {
        Some(i) => server[..host_start + i].to_owned(),
        None => server.clone(),
    };
    Some((server, name.clone(), format!("{base}/{name}")))
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// Like `spawn_app`, with a hook to change the configuration first.
pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = std::env::temp_dir().join(format!("rihla-test-{}", Uuid::new_v4()));
    let mut config = Config::defaults();
    config.bind = "127.0.0.1:0".parse().expect("bind address");
    config.data_dir = data_dir.clone();
    config.database_url = None;
    config.admin_email = ADMIN_EMAIL.into();
    config.admin_password = Some(ADMIN_PASSWORD.to_owned().into());
    config.jwt_secret = Some(JWT_SECRET.to_owned().into());
    config.workers = 2;
    config.db_max_connections = 8;
    // The tests' tight retry loops are one caller far past any honest
    // request budget; the budget's own test turns it back on.
    config.rate_limit_per_minute = 0;
    let pg = match fresh_postgres().await {
        Some((server, name, url)) => {
            config.database_url = Some(url.into());
            Some((server, name))
        }
        None => None,
    };
    tweak(&mut config);
    let db_url = rihla_api::bootstrap::database_url(&config).expect("database url");
    let running = rihla_api::start(&config).await.expect("start the app");
    let handle = running.server.handle();
    let metrics = running.metrics_addr.map(|a| format!("http://{a}"));
    let state = running.state.clone();
    tokio::spawn(running.server);
    let base = format!("http://{}", running.addr);
    // A bounded wait: a request the server never answers fails its test
    // instead of hanging the suite.
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("http client");
    let mut app = TestApp {
        base,
        state,
        client,
        admin: String::new(),
        db_url,
        metrics,
        data_dir,
        pg,
        handle,
    };
    app.admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends its command at once; awaiting it here would block the
        // test's runtime, which is the one running the server.
        drop(self.handle.stop(false));
        let pg = self.pg.take();
        // Drop runs outside async: a helper thread with its own runtime drops the
        // database (FORCE ends the connections the pool still holds).
        if let Some((server, name)) = pg {
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(db) = Database::connect(&server).await {
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl TestApp {
    /// The app's data folder (SQLite database, generated secrets).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn request(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        let rb = self.client.request(method, self.url(path));
        if token.is_empty() {
            rb
        } else {
            rb.bearer_auth(token)
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("request")
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> Response {
        self.request(method, path, token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.send_json(Method::POST, path, token, body).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, token)
            .send()
            .await
            .expect("request")
    }

    pub async fn token_response(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/token",
            "",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self.token_response(email, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        let body: Value = res.json().await.expect("token json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn admin_id(&self) -> String {
        let me: Value = self
            .get("/api/v1/auth/me", &self.admin)
            .await
            .json()
            .await
            .expect("me");
        me["id"].as_str().expect("id").to_owned()
    }

    /// Creates a user with `role` and returns (id, access token).
    pub async fn user(&self, role: &str) -> (String, String) {
        let email = format!("{role}-{}@example.org", Uuid::new_v4().simple());
        let res = self
            .post(
                "/api/v1/users",
                &self.admin,
                &json!({"email": email, "display_name": role, "role": role, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let user: Value = res.json().await.expect("user json");
        (
            user["id"].as_str().expect("id").to_owned(),
            self.login(&email, PASSWORD).await,
        )
    }

    pub async fn organisation(&self, name: &str) -> Value {
        let res = self
            .post(
                "/api/v1/organisations",
                &self.admin,
                &json!({"name": name, "kind": "government_ministry", "country_code": "LY"}),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "create organisation {name}"
        );
        res.json().await.expect("organisation json")
    }

    pub async fn project(&self, body: Value) -> Value {
        let res = self.post("/api/v1/projects", &self.admin, &body).await;
        let status = res.status();
        let json: Value = res.json().await.expect("project json");
        assert_eq!(status, StatusCode::CREATED, "create project: {json}");
        json
    }
}

impl TestApp {
    /// POSTs `body` to `path` as admin, asserts 201 and returns the record.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let res = self.post(path, &self.admin, &body).await;
        let status = res.status();
        let json: Value = res.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "POST {path}: {json}");
        json
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::PATCH, path, &self.admin, body).await
    }

    /// GETs `path` as admin, asserts 200 and returns the body.
    /// GET `path` as `token`, asserting 200, as JSON.
    pub async fn read_as(&self, token: &str, path: &str) -> Value {
        let res = self.get(path, token).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.expect("json")
    }

    pub async fn read(&self, path: &str) -> Value {
        let res = self.get(path, &self.admin).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.expect("json")
    }

    /// The ids of the items of one page of `path`.
    pub async fn ids(&self, path: &str) -> Vec<String> {
        self.read(path).await["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id)
            .collect()
    }

    pub async fn dialogue(&self, name: &str) -> Value {
        self.create(
            "/api/v1/dialogues",
            json!({"name": name, "kind": "interregional_forum", "participation_status": "member"}),
        )
        .await
    }

    pub async fn meeting(&self, dialogue: &Value, body: Value) -> Value {
        self.create(
            &format!("/api/v1/dialogues/{}/meetings", id(dialogue)),
            body,
        )
        .await
    }
}

/// A record's id.
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// `ids` sorted, for comparing sets of records.
pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// A valid project body with the given code.
pub fn project_body(code: &str) -> Value {
    json!({
        "code": code,
        "title": format!("Project {code}"),
        "status": "active",
        "start_date": "2021-04-01",
        "end_date": "2023-11-30",
        "country_codes": ["LY"],
        "duty_stations": ["Tripoli"],
        "themes": ["governance"],
    })
}

/// Asserts an RFC 9457 problem with `status`, and returns its body.
pub async fn problem(res: Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let request_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = res.json().await.expect("problem json");
    assert_eq!(body["status"], status.as_u16());
    for field in ["type", "title", "detail", "instance", "request_id"] {
        assert!(body[field].is_string(), "problem lacks {field}: {body}");
    }
    assert_eq!(body["request_id"].as_str(), request_id.as_deref());
    body
}

/// The `field`s of a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Takes the app's database back to before migration `name` (and every
/// later one), then up again: what a database written before `name` goes
/// through when it is upgraded.
pub async fn migrate_again_from(app: &TestApp, name: &str) {
    use migration::MigratorTrait;
    let settings = rihla_persistence::DbSettings {
        url: app.db_url.clone(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
        sqlite_sync_every_commit: false,
    };
    let conn = rihla_persistence::connect_for_migrations(&settings)
        .await
        .unwrap();
    let names: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let at = names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    let steps = u32::try_from(names.len() - at).unwrap();
    migration::Migrator::down(&conn, Some(steps)).await.unwrap();
    migration::Migrator::up(&conn, None).await.unwrap();
    conn.close().await.unwrap();
}

/// One record made over HTTP by `one_of`: its id and path, a change to it
/// (method, path, body) with the field and value that change must show,
/// whether only an admin writes it, and whether it was created with
/// `X-Request-Id: req-create-1`.
pub struct Written {
    pub id: String,
    pub path: String,
    pub change: (Method, String, Value),
    pub field: &'static str,
    pub value: Value,
    pub admin: bool,
    /// Created by this test with `X-Request-Id: req-create-1`.
    pub correlated: bool,
    /// For a project-owned kind the tests reach only through `one_of`: a
    /// whole body it takes (for a PUT); null otherwise.
    pub input: Value,
}

/// Creates one record of `resource` as `editor` (with what it needs; a
/// project-owned one in `project`, or in a project of its own) and says how
/// to change it. The one place the tests know how to make each kind of
/// record: a match without a wildcard, so a new kind does not compile until
/// it has an arm here, and then every test that walks `ResourceType::ALL`
/// (the audit trail, CSV exports, the BOLA matrix) covers it.
pub async fn one_of(
    app: &TestApp,
    editor: &str,
    resource: ResourceType,
    project: Option<&str>,
) -> Written {
    let post = |path: String, token: String, body: Value| async move {
        let res = app
            .request(Method::POST, &path, &token)
            .header("x-request-id", "req-create-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "POST {path}");
        res.json::<Value>().await.unwrap()
    };
    let editor = editor.to_owned();
    let patch = |path: &str, field: &'static str, value: Value| {
        (Method::PATCH, path.to_owned(), json!({ field: value }))
    };
    let renamed = json!("Renamed");
    match resource {
        ResourceType::Organisation => {
            let org = post(
                "/api/v1/organisations".into(),
                editor,
                json!({"name": "Ministry of Interior", "kind": "government_ministry"}),
            )
            .await;
            let path = format!("/api/v1/organisations/{}", id(&org));
            Written {
                id: id(&org),
                change: patch(&path, "acronym", json!("MoI")),
                path,
                field: "acronym",
                value: json!("MoI"),
                admin: false,
                correlated: true,
                input: Value::Null,
            }
        }
        ResourceType::Project => {
            let project = post("/api/v1/projects".into(), editor, project_body("P-1")).await;
            let path = format!("/api/v1/projects/{}", id(&project));
            Written {
                id: id(&project),
                change: patch(&path, "title", renamed.clone()),
                path,
                field: "title",
                value: renamed,
                admin: false,
                correlated: true,
                input: Value::Null,
            }
        }
        ResourceType::Activity => {
            let project = match project {
                Some(p) => p.to_owned(),
                None => id(&post(
                    "/api/v1/projects".into(),
                    editor.clone(),
                    project_body("P-2"),
                )
                .await),
            };
            let activity = post(
                "/api/v1/activities".into(),
                editor,
                json!({"project_id": project, "kind": "workshop", "title": "Workshop"}),
            )
            .await;
            let path = format!("/api/v1/activities/{}", id(&activity));
            Written {
                id: id(&activity),
                change: patch(&path, "title", renamed.clone()),
                path,
                field: "title",
                value: renamed,
                admin: false,
                correlated: true,
                input: Value::Null,
            }
        }
        ResourceType::Dialogue => {
            let dialogue = post(
                "/api/v1/dialogues".into(),
                editor,
                json!({"name": "Rabat Process", "kind": "interregional_forum"}),
            )
            .await;
            let path = format!("/api/v1/dialogues/{}", id(&dialogue));
            Written {
                id: id(&dialogue),
                change: patch(&path, "name", json!("Rabat Process II")),
                path,
                field: "name",
                value: json!("Rabat Process II"),
                admin: false,
                correlated: true,
                input: Value::Null,
            }
        }
        ResourceType::Meeting => {
            let meeting = app
                .meeting(
                    &app.dialogue("Khartoum Process").await,
                    json!({"title": "SOM"}),
                )
                .await;
            let path = format!(
                "/api/v1/dialogues/{}/meetings/{}",
                meeting["dialogue_id"].as_str().unwrap(),
                id(&meeting)
            );
            Written {
                id: id(&meeting),
                change: patch(&path, "title", renamed.clone()),
                path,
                field: "title",
                value: renamed,
                admin: false,
                correlated: false,
                input: Value::Null,
            }
        }
        ResourceType::Delegation => {
            let meeting = app
                .meeting(
                    &app.dialogue("Budapest Process").await,
                    json!({"title": "SOM"}),
                )
                .await;
            let delegation = post(
                "/api/v1/delegations".into(),
                editor,
                json!({"meeting_id": id(&meeting), "country_code": "LY", "project_id": project}),
            )
            .await;
            let path = format!("/api/v1/delegations/{}", id(&delegation));
            Written {
                id: id(&delegation),
                change: patch(&path, "status", json!("nominated")),
                path,
                field: "status",
                value: json!("nominated"),
                admin: false,
                correlated: true,
                input: Value::Null,
            }
        }
        ResourceType::Document => {
            let project = match project {
                Some(p) => p.to_owned(),
                None => id(&post(
                    "/api/v1/projects".into(),
                    editor.clone(),
                    project_body("P-3"),
                )
                .await),
            };
            let document = post(
                "/api/v1/documents".into(),
                editor,
                json!({"title": "Legal Guide", "kind": "guide", "project_id": project}),
            )
            .await;
            let path = format!("/api/v1/documents/{}", id(&document));
            Written {
                id: id(&document),
                change: patch(&path, "title", renamed.clone()),
                path,
                field: "title",
                value: renamed,
                admin: false,
                correlated: true,
                input: Value::Null,
            }
        }
        ResourceType::User => {
            let (user, _) = app.user("viewer").await;
            let path = format!("/api/v1/users/{user}");
            Written {
                id: user,
                change: patch(&path, "display_name", renamed.clone()),
                path,
                field: "display_name",
                value: renamed,
                admin: true,
                correlated: false,
                input: Value::Null,
            }
        }
        ResourceType::ApiKey => {
            let key = post(
                "/api/v1/api-keys".into(),
                app.admin.clone(),
                json!({"name": "Partner system", "role": "viewer"}),
            )
            .await["key"]
                .clone();
            let path = format!("/api/v1/api-keys/{}", id(&key));
            Written {
                id: id(&key),
                change: (Method::POST, format!("{path}/rotate"), json!({})),
                path,
                field: "prefix",
                value: Value::Null,
                admin: true,
                correlated: true,
                input: Value::Null,
            }
        }
        ResourceType::ProjectMember => {
            let project = match project {
                Some(p) => p.to_owned(),
                None => id(&post(
                    "/api/v1/projects".into(),
                    editor.clone(),
                    project_body("P-4"),
                )
                .await),
            };
            let (user, _) = app.user("partner").await;
            let member = post(
                format!("/api/v1/projects/{project}/members"),
                editor,
                json!({"user_id": user, "role": "viewer"}),
            )
            .await;
            let path = format!("/api/v1/projects/{project}/members/{}", id(&member));
            Written {
                id: id(&member),
                change: patch(&path, "role", json!("editor")),
                path,
                field: "role",
                value: json!("editor"),
                admin: false,
                correlated: true,
                input: Value::Null,
            }
        }
    }
}

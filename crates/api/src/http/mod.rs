//! HTTP mechanics shared by every route, by what each part owns: the
//! extractors (`extract`), the request middleware (`middleware`), each
//! caller's request budget and export slots (`budget`), query strings
//! checked against the operation's declaration (`query`), and the answer
//! when no route matches (`fallback`).

pub mod budget;
mod extract;
mod fallback;
mod middleware;
pub mod query;

pub use extract::*;
pub use fallback::*;
pub use middleware::*;

//! HTTP mechanics shared by every route, by what each part owns: the
//! extractors (`extract`), the request middleware (`middleware`), and the
//! answer when no route matches (`fallback`).

mod extract;
mod fallback;
mod middleware;

pub use extract::*;
pub use fallback::*;
pub use middleware::*;

//! credreg patch: memoized processing of type- and property-scoped contexts.
//!
//! Upstream json-ld 0.21 re-runs the Context Processing algorithm for every node that has a
//! type with a scoped context (and every value of a property with one), and each run clones the
//! whole active context. For Verifiable Credentials, where every node is typed and the VC 2.0,
//! Data Integrity and Open Badges contexts scope most of their terms, that is nearly all of the
//! expansion time.
//!
//! A [`ScopedCache`] remembers processed contexts by *derivation key*: the key of the root
//! context (supplied by the caller, who promises it identifies the root context, the loader's
//! documents and the options), extended by each scoped step (`P<property>`, `L<property>`,
//! `T<type>`). The processing algorithm is deterministic in (active context, local context,
//! base URL, options), and all of these are functions of the derivation, so a cached result is
//! exactly what processing would return. Contexts the cache does not know (those built from an
//! inline `@context`, `@nest` or index maps) have no key and are processed as upstream does.
//!
//! Contexts are identified by address only while the cache owns them (or, for the root, while
//! the caller's expansion runs), so an address is never reused for another context under the
//! same key.

use json_ld_core::Context;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A cache of processed scoped contexts. Not thread-safe: keep one per thread.
pub struct ScopedCache<T, B> {
	entries: RefCell<HashMap<String, Rc<Context<T, B>>>>,
	known: RefCell<HashMap<usize, String>>,
	root: RefCell<Option<(usize, String)>>,
	limit: usize,
}

impl<T, B> Default for ScopedCache<T, B> {
	fn default() -> Self {
		Self::with_limit(4096)
	}
}

fn addr<T, B>(c: &Context<T, B>) -> usize {
	c as *const Context<T, B> as usize
}

impl<T, B> ScopedCache<T, B> {
	/// A cache holding at most `limit` contexts (it is emptied when full, which bounds the
	/// memory a crafted document can claim).
	pub fn with_limit(limit: usize) -> Self {
		Self {
			entries: RefCell::new(HashMap::new()),
			known: RefCell::new(HashMap::new()),
			root: RefCell::new(None),
			limit,
		}
	}

	/// Number of cached contexts.
	pub fn len(&self) -> usize {
		self.entries.borrow().len()
	}

	/// Whether the cache is empty.
	pub fn is_empty(&self) -> bool {
		self.entries.borrow().is_empty()
	}

	pub(crate) fn set_root(&self, root: &Context<T, B>, key: &str) {
		*self.root.borrow_mut() = Some((addr(root), key.to_owned()));
	}

	pub(crate) fn clear_root(&self) {
		*self.root.borrow_mut() = None;
	}

	/// The derivation key of `context`, if the cache knows it.
	pub(crate) fn key_of(&self, context: &Context<T, B>) -> Option<String> {
		let a = addr(context);
		if let Some((root, key)) = &*self.root.borrow() {
			if *root == a {
				return Some(key.clone());
			}
		}
		self.known.borrow().get(&a).cloned()
	}

	pub(crate) fn get(&self, key: &str) -> Option<Rc<Context<T, B>>> {
		self.entries.borrow().get(key).cloned()
	}

	/// Stores `result`, derived as `key` from `active` (whose key is `active_key`).
	pub(crate) fn insert(
		&self,
		key: String,
		active: &Context<T, B>,
		active_key: &str,
		result: Context<T, B>,
	) -> Rc<Context<T, B>> {
		if self.entries.borrow().len() >= self.limit {
			self.entries.borrow_mut().clear();
			self.known.borrow_mut().clear();
		}
		let result = Rc::new(result);
		let mut known = self.known.borrow_mut();
		// The processing algorithm keeps the active context's previous context, or, when it
		// has none and propagation stops, makes the active context itself the previous one.
		if let Some(prev) = result.previous_context() {
			let prev_key = match active.previous_context() {
				None => Some(active_key.to_owned()),
				Some(p) => self.key_of_locked(&known, p),
			};
			if let Some(k) = prev_key {
				known.insert(addr(prev), k);
			}
		}
		known.insert(addr(&result), key.clone());
		drop(known);
		self.entries.borrow_mut().insert(key, result.clone());
		result
	}

	fn key_of_locked(&self, known: &HashMap<usize, String>, c: &Context<T, B>) -> Option<String> {
		let a = addr(c);
		if let Some((root, key)) = &*self.root.borrow() {
			if *root == a {
				return Some(key.clone());
			}
		}
		known.get(&a).cloned()
	}
}

/// The active context of an element: borrowed, owned (unknown to the cache) or shared with
/// the cache.
pub(crate) enum Held<'a, T, B> {
	Borrowed(&'a Context<T, B>),
	Owned(Context<T, B>),
	Shared(Rc<Context<T, B>>),
}

impl<T, B> Held<'_, T, B> {
	pub(crate) fn as_ref(&self) -> &Context<T, B> {
		match self {
			Self::Borrowed(c) => c,
			Self::Owned(c) => c,
			Self::Shared(c) => c,
		}
	}
}

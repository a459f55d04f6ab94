//! The clock face (concept M7) that `fifo`, `clock` and `nru` share: the tracked frames in a
//! circle, with a hand. A new frame goes just behind the hand, so the hand reaches it last;
//! removing the frame under the hand moves the hand on to the next. With the hand never moved
//! otherwise, it always points at the frame inserted longest ago: FIFO order.
//!
//! A doubly linked circle threaded through two per-frame arrays (grown a page at a time):
//! insert, remove and advance are O(1) (growing the arrays aside).
//!
//! Invariants: `hand` is `None` exactly when the circle is empty; a frame is a member exactly
//! when its `prev` entry is not [`NOT_MEMBER`], and then its `next` and `prev` are members.

use crate::FrameIndex;
use crate::paged::Paged;

/// `prev` of a frame outside the circle.
const NOT_MEMBER: FrameIndex = FrameIndex::MAX;

/// Tracked frames in a circle with a hand.
#[derive(Debug, Default)]
pub(crate) struct Ring {
    next: Paged<FrameIndex>,
    prev: Paged<FrameIndex>,
    hand: Option<FrameIndex>,
    len: usize,
}

impl Ring {
    pub(crate) fn contains(&self, frame: FrameIndex) -> bool {
        self.prev.get(frame).is_some_and(|&prev| prev != NOT_MEMBER)
    }

    /// Puts `frame` just behind the hand (moving it there if it was a member).
    pub(crate) fn insert(&mut self, frame: FrameIndex) {
        self.remove(frame);
        if self.prev.len() <= frame {
            self.prev.grow_with(frame + 1, || NOT_MEMBER);
            self.next.grow_with(frame + 1, || NOT_MEMBER);
        }
        match self.hand {
            None => {
                self.next[frame] = frame;
                self.prev[frame] = frame;
                self.hand = Some(frame);
            }
            Some(hand) => {
                let behind = self.prev[hand];
                self.next[behind] = frame;
                self.prev[frame] = behind;
                self.next[frame] = hand;
                self.prev[hand] = frame;
            }
        }
        self.len += 1;
    }

    /// Takes `frame` out of the circle; returns whether it was in it.
    pub(crate) fn remove(&mut self, frame: FrameIndex) -> bool {
        if !self.contains(frame) {
            return false;
        }
        let (prev, next) = (self.prev[frame], self.next[frame]);
        if next == frame {
            self.hand = None;
        } else {
            self.next[prev] = next;
            self.prev[next] = prev;
            if self.hand == Some(frame) {
                self.hand = Some(next);
            }
        }
        self.prev[frame] = NOT_MEMBER;
        self.next[frame] = NOT_MEMBER;
        self.len -= 1;
        true
    }

    /// The frame under the hand.
    pub(crate) fn hand(&self) -> Option<FrameIndex> {
        self.hand
    }

    /// Moves the hand to the next frame.
    pub(crate) fn advance(&mut self) {
        if let Some(hand) = self.hand {
            self.hand = Some(self.next[hand]);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    /// The members from the hand round the circle.
    fn order(ring: &mut Ring) -> Vec<FrameIndex> {
        let mut frames = Vec::new();
        for _ in 0..ring.len() {
            frames.push(ring.hand().unwrap());
            ring.advance();
        }
        frames
    }

    #[test]
    fn new_frames_go_behind_the_hand_and_the_hand_follows_removals() {
        let mut ring = Ring::default();
        for frame in [4, 0, 7] {
            ring.insert(frame);
        }
        assert_eq!(order(&mut ring), vec![4, 0, 7]);
        assert!(ring.remove(4));
        assert_eq!(
            ring.hand(),
            Some(0),
            "removing the hand's frame moves it on"
        );
        ring.insert(2);
        assert_eq!(order(&mut ring), vec![0, 7, 2]);
        assert!(!ring.remove(4), "not a member any more");
        ring.insert(7);
        assert_eq!(
            order(&mut ring),
            vec![0, 2, 7],
            "inserting again moves it last"
        );
        for frame in [0, 2, 7] {
            ring.remove(frame);
        }
        assert_eq!((ring.hand(), ring.len()), (None, 0));
    }
}

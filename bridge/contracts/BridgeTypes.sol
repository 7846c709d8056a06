// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice A checkpoint of the beacon chain (DESIGN.md, Bridge to Ethereum), signed by the beacon
/// committee as EIP-712 typed data. Every field is a static type, so `abi.encode(TYPEHASH, cp)` is
/// exactly the EIP-712 `encodeData` of the struct.
struct Checkpoint {
    /// The sidechain's chain id (not Ethereum's: that one is in the EIP-712 domain).
    uint64 chainId;
    /// Strictly increasing; a relayer may skip some (never a committee change).
    uint64 sequence;
    uint64 epoch;
    /// The beacon heights this checkpoint covers, both inclusive.
    uint64 beaconHeightFrom;
    uint64 beaconHeightTo;
    /// Recorded, never checked: a relayer may have skipped that checkpoint.
    bytes32 previousCheckpoint;
    bytes32 beaconBlockHash;
    /// RFC 6962 root of the cumulative, append-only withdrawals tree, and its leaf count.
    bytes32 withdrawalsRoot;
    uint64 withdrawalsCount;
    /// The last deposit nonce the sidechain has applied, and the running hash h[nonce] up to it.
    uint64 depositNonce;
    bytes32 depositHash;
    /// keccak256 of the next committee's member words when the committee changes, else zero.
    bytes32 nextCommitteeHash;
    /// Set by a committee-signed beacon transaction: lifts a guardian pause.
    bool unpause;
}

/// @notice One withdrawal: a leaf of the withdrawals tree is `abi.encode(id, recipient, token, amount)`.
struct Withdrawal {
    /// Global withdrawal id, unique over the sidechain's life; a withdrawal is paid once per id.
    uint64 id;
    address recipient;
    /// The Ethereum asset: address(0) for ETH, else the ERC-20 token.
    address token;
    uint256 amount;
}

/// @notice What the contract keeps of every accepted withdrawals root (besides each checkpoint's hash).
struct RootRecord {
    /// The first accepted checkpoint with this root; zero for a root never accepted.
    uint64 sequence;
    /// block.timestamp of that acceptance: withdrawals proven against this root are payable withdrawalDelay later.
    uint64 acceptedAt;
    /// The leaf count of the tree with this root.
    uint64 withdrawalsCount;
}

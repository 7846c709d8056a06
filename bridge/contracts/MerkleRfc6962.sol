// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title RFC 6962 / RFC 9162 Merkle inclusion proofs over SHA-256
/// @notice The same tree as core/merkle.ts: leaf = sha256(0x00 || leaf), node = sha256(0x01 || left || right),
/// unbalanced trees split at the largest power of two below the size, the last leaf never duplicated.
/// Verification needs the leaf index and the tree size (RFC 9162, 2.1.3.2), so a proof of the wrong
/// length never verifies. Both sides pass test/vectors/merkle-rfc6962.json.
library MerkleRfc6962 {
    /// @dev sha256("") : the root of the empty tree. Never a root that pays anything.
    bytes32 internal constant EMPTY_ROOT = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;

    error Sha256Failed();

    /// @notice sha256(0x00 || leaf).
    function hashLeaf(bytes memory leaf) internal view returns (bytes32 h) {
        bytes memory buf = abi.encodePacked(bytes1(0x00), leaf);
        return _sha256(buf);
    }

    /// @notice sha256(0x01 || left || right), through the precompile on scratch memory (no allocation).
    function hashNode(bytes32 left, bytes32 right) internal view returns (bytes32 h) {
        bool ok;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore8(ptr, 0x01)
            mstore(add(ptr, 1), left)
            mstore(add(ptr, 33), right)
            ok := staticcall(gas(), 0x02, ptr, 65, 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }

    /// @notice The root that `proof` gives for `leafHash` at `index` in a tree of `size` leaves
    /// (RFC 9162, 2.1.3.2); `ok` is false when the path cannot belong to such a tree.
    function rootFromProof(
        bytes32 leafHash,
        uint256 index,
        uint256 size,
        bytes32[] calldata proof
    ) internal view returns (bool ok, bytes32 root) {
        if (index >= size) return (false, bytes32(0));
        uint256 fn = index;
        uint256 sn = size - 1;
        bytes32 r = leafHash;
        uint256 len = proof.length;
        for (uint256 i = 0; i < len; ) {
            if (sn == 0) return (false, bytes32(0));
            bytes32 p = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                r = hashNode(p, r);
                if (fn & 1 == 0) {
                    while (fn & 1 == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = hashNode(r, p);
            }
            fn >>= 1;
            sn >>= 1;
            unchecked {
                ++i;
            }
        }
        if (sn != 0) return (false, bytes32(0));
        return (true, r);
    }

    /// @notice True when `proof` places `leafHash` at `index` of the tree of `size` leaves with `root`.
    function verify(
        bytes32 root,
        bytes32 leafHash,
        uint256 index,
        uint256 size,
        bytes32[] calldata proof
    ) internal view returns (bool) {
        (bool ok, bytes32 r) = rootFromProof(leafHash, index, size, proof);
        return ok && r == root;
    }

    function _sha256(bytes memory data) private view returns (bytes32 h) {
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x02, add(data, 0x20), mload(data), 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }
}

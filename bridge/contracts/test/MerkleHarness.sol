// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleRfc6962} from "../MerkleRfc6962.sol";

/// @notice Exposes the Merkle library so that the tests run the shared vectors through it.
contract MerkleHarness {
    function hashLeaf(bytes calldata leaf) external view returns (bytes32) {
        return MerkleRfc6962.hashLeaf(leaf);
    }

    function hashNode(bytes32 left, bytes32 right) external view returns (bytes32) {
        return MerkleRfc6962.hashNode(left, right);
    }

    function rootFromProof(
        bytes32 leafHash,
        uint256 index,
        uint256 size,
        bytes32[] calldata proof
    ) external view returns (bool ok, bytes32 root) {
        return MerkleRfc6962.rootFromProof(leafHash, index, size, proof);
    }

    function verify(
        bytes32 root,
        bytes32 leafHash,
        uint256 index,
        uint256 size,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return MerkleRfc6962.verify(root, leafHash, index, size, proof);
    }
}

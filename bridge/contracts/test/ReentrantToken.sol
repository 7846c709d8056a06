// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A malicious ERC-20 whose transfers call back into a target (the bridge) with prepared calldata,
/// bubbling up any revert, as an ERC-777-style hook could.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public callbackData;
    bool private _inCallback;

    constructor() ERC20("Reentrant", "REN") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: the next transfer calls `target_` with `data_`. An empty `data_` disarms it.
    function arm(address target_, bytes calldata data_) external {
        target = target_;
        callbackData = data_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (callbackData.length != 0 && !_inCallback && from != address(0)) {
            _inCallback = true;
            (bool ok, bytes memory ret) = target.call(callbackData);
            _inCallback = false;
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
    }
}

"""STUB: vjp, jvp, jacobian, hessian, hvp."""

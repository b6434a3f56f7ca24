"""The data plane: one request's pass down the pipeline of steps, and the services they use."""

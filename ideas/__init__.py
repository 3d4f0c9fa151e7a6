"""Ideas: submitting, voting, ranking and discussing them."""
